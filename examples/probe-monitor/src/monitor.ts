import { Agent } from 'node:http'
import { attachCircuitBreaker } from '@tripswitch/axios'
import {
  type CircuitBreaker,
  CircuitBreakerRegistry,
  type CircuitState,
  type Clock,
  isCircuitOpenError,
} from '@tripswitch/core'
import axios, { isAxiosError, isCancel } from 'axios'
import type { MonitorConfig } from './config.ts'
import type { Log } from './log.ts'
import { describeProbe } from './report.ts'

/** What one probe found. `state` is the circuit's state once the probe was counted. */
export type ProbeResult =
  | { kind: 'answered'; status: number; counted: Counted; durationMs: number; state: CircuitState }
  | { kind: 'no-answer'; reason: string; counted: Counted; durationMs: number; state: CircuitState }
  | { kind: 'refused'; retryAfterMs: number; state: CircuitState }
  | { kind: 'cancelled'; state: CircuitState }

/** How the breaker counted a probe that was sent. */
export type Counted = 'success' | 'failure' | 'ignored'

/** The settings a monitor needs (see {@link MonitorConfig}). */
export type MonitorSettings = Pick<
  MonitorConfig,
  'errorThreshold' | 'recoveryTimeoutMs' | 'probeTimeoutMs' | 'acceptClientErrors'
>

/** Options of {@link createMonitor}. */
export interface MonitorOptions {
  /** `host:port` to probe with `GET /`; it also names the circuit. */
  readonly target: string
  readonly settings: MonitorSettings
  /** Clock of the breaker and of the durations logged; a FakeClock in tests. */
  readonly clock: Clock
  readonly log: Log
}

/** Probes one target through a circuit breaker and logs each probe and every transition. */
export interface Monitor {
  /** The URL probed, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string
  /** The circuit guarding the target. */
  readonly breaker: CircuitBreaker
  /** Sends one probe (unless the circuit refuses it) and logs what happened. Never overlaps. */
  probeOnce(): Promise<ProbeResult>
  /** Cancels a probe in flight (it is neither a success nor a failure) and frees the sockets. */
  close(): void
}

/** A monitor of `target`: an axios instance with a circuit breaker attached. */
export function createMonitor({ target, settings, clock, log }: MonitorOptions): Monitor {
  const url = `http://${target}/`
  const registry = new CircuitBreakerRegistry({ clock })
  // Made here, before the adapter asks the registry for it, so its events can be heard first.
  const breaker = registry.get(target, {
    errorThreshold: settings.errorThreshold,
    recoveryTimeout: settings.recoveryTimeoutMs,
  })
  // No keep-alive: each probe opens its own connection, as a client arriving fresh would.
  const agent = new Agent({ keepAlive: false })
  const http = axios.create({
    timeout: settings.probeTimeoutMs,
    httpAgent: agent,
    // Every status resolves; the adapter, not axios, decides which ones are failures.
    validateStatus: () => true,
  })
  attachCircuitBreaker(http, {
    registry,
    key: () => target,
    acceptClientErrors: settings.acceptClientErrors,
  })
  const aborter = new AbortController()

  breaker.on('stateChange', ({ from, to }) => {
    log(to === 'open' ? 'WARNING' : 'INFO', `Circuit changed from ${from} to ${to}`)
  })
  // The breaker says how it counted the call, so the log cannot disagree with it.
  let counted: Counted = 'ignored'
  breaker.on('success', () => {
    counted = 'success'
  })
  breaker.on('failure', () => {
    counted = 'failure'
  })

  let probes = 0
  async function send(): Promise<ProbeResult> {
    counted = 'ignored'
    const startedAt = clock.now()
    const elapsed = () => clock.now() - startedAt
    try {
      const response = await http.get(url, { signal: aborter.signal })
      const status = response.status
      return { kind: 'answered', status, counted, durationMs: elapsed(), state: breaker.state }
    } catch (error) {
      if (isCancel(error)) return { kind: 'cancelled', state: breaker.state }
      if (isCircuitOpenError(error))
        return { kind: 'refused', retryAfterMs: error.retryAfterMs, state: error.state }
      if (!isAxiosError(error)) throw error
      const reason = error.message
      return { kind: 'no-answer', reason, counted, durationMs: elapsed(), state: breaker.state }
    }
  }

  return {
    url,
    breaker,
    async probeOnce() {
      const number = ++probes
      log('DEBUG', `Probe ${number}: GET ${url}`)
      const result = await send()
      const { level, message } = describeProbe(number, result)
      log(level, message)
      return result
    },
    close() {
      aborter.abort()
      agent.destroy()
    },
  }
}
