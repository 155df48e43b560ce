import type { IncomingMessage } from 'node:http'
import { attachCircuitBreaker } from '@tripswitch/axios'
import {
  type BreakerDefaults,
  type CircuitBreaker,
  CircuitBreakerRegistry,
  type Clock,
  isCircuitOpenError,
} from '@tripswitch/core'
import { createDashboard, type Dashboard } from '@tripswitch/dashboard'
import { circuitStatus } from '@tripswitch/express'
import { metricsHandler, registerMetrics } from '@tripswitch/prometheus'
import axios, { type AxiosInstance, isAxiosError } from 'axios'
import express, { type Express } from 'express'
import { Registry } from 'prom-client'
import { logEveryEvent } from './circuit-log.ts'
import type { Log } from './log.ts'
import { coldOffer, type OfferAnswer } from './offers.ts'
import type { HotOffer } from './partner.ts'

/** Name of the one breaker guarding the partner (a fixed key, not the partner's origin). */
export const PARTNER_CIRCUIT = 'partner'

/** fail_max 3, reset 15 s: three failures in a row open the circuit for 15 seconds. */
export const PARTNER_BREAKER_OPTIONS = {
  strategy: 'consecutive',
  errorThreshold: 3,
  recoveryTimeout: 15_000,
} as const satisfies BreakerDefaults

/** A partner slower than this is a failed call (axios's timeout; the adapter counts it). */
const PARTNER_TIMEOUT_MS = 2_000

export interface OfferServiceOptions {
  /** Base URL of the partner service. */
  readonly partnerUrl: string
  /** Clock of the breaker; tests pass a FakeClock to move past the 15 s. @default system clock */
  readonly clock?: Clock
  readonly log: Log
}

export interface OfferService {
  /**
   * The Express app: `GET /offer`, `GET /offer/circuit`, `GET /ready`, `GET /metrics`, and the
   * live status page under `/circuits/`.
   */
  readonly app: Express
  /** The status page's handler; `close()` it when the service stops. */
  readonly dashboard: Dashboard
  readonly registry: CircuitBreakerRegistry
  /** The breaker guarding the partner. */
  readonly breaker: CircuitBreaker
}

/** The shape `GET /offer/circuit` answers, as the issue specifies it (snake_case). */
export interface CircuitReport {
  readonly current_state: string
  /** Failures in a row counted by the breaker (0 after a success). */
  readonly fail_counter: number
}

/**
 * The offer service: asks the partner for the hot offer through an axios instance guarded by
 * @tripswitch/axios, and answers a cold offer from the fallback when the circuit is open or the
 * call fails.
 */
export function createOfferService(options: OfferServiceOptions): OfferService {
  const { log } = options
  const registry = new CircuitBreakerRegistry({ clock: options.clock })
  // Created here rather than on the first request so the log listener sees every event.
  const breaker = registry.get(PARTNER_CIRCUIT, PARTNER_BREAKER_OPTIONS)
  logEveryEvent(breaker, log)

  const partner = axios.create({ baseURL: options.partnerUrl, timeout: PARTNER_TIMEOUT_MS })
  attachCircuitBreaker(partner, { registry, key: () => PARTNER_CIRCUIT })

  const app = express()
  app.get('/offer', async (_req, res) => {
    res.json(await fetchOffer(partner, log))
  })
  app.get('/offer/circuit', (_req, res) => {
    const { state, consecutiveFailures } = breaker.snapshot()
    const report: CircuitReport = { current_state: state, fail_counter: consecutiveFailures }
    res.set('cache-control', 'no-store').json(report)
  })
  app.get('/ready', circuitStatus(registry))
  // Prometheus metrics of the circuit, read at scrape time and streamed. A registry of its own
  // rather than prom-client's global one, so that two services in one process (the tests) do
  // not collide.
  const metrics = new Registry()
  registerMetrics(registry, { register: metrics })
  app.get('/metrics', metricsHandler({ register: metrics }))
  // The live status page. Its actions (force open, close, ...) are allowed only from this
  // machine: a real service would check its own operators' credentials here instead.
  const dashboard = createDashboard({
    registry,
    authorize: fromThisMachine,
    log: ({ action, name, who, allowed }) =>
      log(
        `[offer] dashboard: ${action} "${name}" by ${who ?? 'anonymous'}: ${allowed ? 'done' : 'refused'}`,
      ),
  })
  app.use('/circuits', dashboard)
  return { app, registry, breaker, dashboard }
}

/** Allows an action when the request comes over loopback, naming the actor for the log. */
function fromThisMachine(req: IncomingMessage): { who: string } | false {
  const address = req.socket.remoteAddress ?? ''
  const loopback = address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1'
  return loopback ? { who: `operator@${address}` } : false
}

/**
 * The hot offer from the partner, or the cold one. The fallback covers both a refusal (circuit
 * open: nothing is sent) and a failed call while the circuit is still closed, like core's
 * `fallback` option: the client gets an offer either way, and only the breaker counts failures.
 */
async function fetchOffer(partner: AxiosInstance, log: Log): Promise<OfferAnswer> {
  try {
    const { data } = await partner.get<HotOffer>('/offer')
    return { ...data, source: 'partner' }
  } catch (error) {
    const reason = reasonOf(error)
    log(`[offer] cold offer from the fallback: ${reason}`)
    return coldOffer(reason)
  }
}

function reasonOf(error: unknown): string {
  if (isCircuitOpenError(error))
    return `circuit open, probe in ${Math.ceil(error.retryAfterMs / 1000)} s`
  if (isAxiosError(error))
    return error.response
      ? `partner answered ${error.response.status}`
      : `partner unreachable (${error.code ?? error.message})`
  return `partner call failed (${error instanceof Error ? error.message : String(error)})`
}
