import type { CircuitBreaker } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios'
import { type Attachment, cachedGuardAdapter, type Guard, guardAdapter } from './guard.ts'
import type { AttachOptions, RequestCircuitOptions } from './options.ts'
import { type ParsedOptions, parseOptions, parseRequestOptions } from './parse-options.ts'

/** Removes what {@link attachCircuitBreaker} installed; calling it twice is harmless. */
export type Detach = () => void

/**
 * Guards every request of `instance` with a circuit breaker, one per origin by default. A
 * request interceptor picks the request's breaker and wraps its adapter; the wrapper acquires a
 * permit right before the request is sent (or rejects with `CircuitOpenError`, carrying the
 * request's `config`, without sending anything) and settles it when the adapter answers:
 * network errors, timeouts, 5xx, 408 and 429 fail, other answers succeed, canceled requests are
 * ignored. Whatever runs between the interceptor and the adapter (other interceptors,
 * `transformRequest`) can fail without holding a permit.
 *
 * Each attempt of a retried request (axios-retry) is one call through the breaker, in whichever
 * order the two are attached; wrap its condition in {@link unlessCircuitOpen}.
 *
 * @returns the function that ejects the interceptor; requests not sent yet go unguarded.
 * @throws {InvalidOptionsError} when an option is invalid (naming it), at once.
 */
export function attachCircuitBreaker(instance: AxiosInstance, options?: AttachOptions): Detach {
  const parsed = parseOptions(options)
  const attachment: Attachment = { attached: true }
  const guards: DefaultGuards = new WeakMap()
  // Synchronous: unless another interceptor is async, axios then runs the chain without a
  // promise per step. `admit` never awaits; what it throws still rejects the request.
  const id = instance.interceptors.request.use(
    (config) => admit(config, parsed, attachment, guards),
    undefined,
    { synchronous: true },
  )
  return () => {
    attachment.attached = false
    instance.interceptors.request.eject(id)
  }
}

/** The guard of each breaker under the attach options, with its last adapter wrapper. */
type DefaultGuards = WeakMap<CircuitBreaker, { readonly guard: Guard; readonly cache: object }>

/**
 * Chooses the request's breaker and classification, and wraps its adapter. A bad per-request
 * option or key throws here: the request rejects before anything is sent or acquired.
 */
function admit(
  config: InternalAxiosRequestConfig,
  parsed: ParsedOptions,
  attachment: Attachment,
  guards: DefaultGuards,
): InternalAxiosRequestConfig {
  // Own property only: `circuitBreaker` set on Object.prototype must not opt every request out.
  const own = checks.ownValue(config, 'circuitBreaker') as RequestCircuitOptions | false | undefined
  if (own === false) return config
  if (own === undefined) {
    const breaker = parsed.registry.get(parsed.key(config), parsed.breakerOptions)
    let entry = guards.get(breaker)
    if (entry === undefined) {
      entry = { guard: { breaker, outcome: parsed.outcome, attachment }, cache: {} }
      guards.set(breaker, entry)
    }
    config.adapter = cachedGuardAdapter(config.adapter, entry.guard, entry.cache)
    return config
  }
  const request = parseRequestOptions(own, parsed)
  const breaker = parsed.registry.get(request.key ?? parsed.key(config), request.breakerOptions)
  config.adapter = guardAdapter(config.adapter, { breaker, outcome: request.outcome, attachment })
  return config
}
