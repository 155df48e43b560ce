import {
  type CircuitBreaker,
  isCircuitBusyError,
  isCircuitOpenError,
  type Permit,
} from '@tripswitch/core'
import axios, {
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios'
import type { AxiosOutcomeOptions } from './options.ts'
import { responseOf, settle } from './settle.ts'

/** Whether an attachment is still in place; a detached one lets later requests through. */
export interface Attachment {
  attached: boolean
}

/** What one guarded request needs: its breaker, its classification, its attachment. */
export interface Guard {
  readonly breaker: CircuitBreaker
  readonly outcome: AxiosOutcomeOptions
  readonly attachment: Attachment
}

type AdapterConfig = InternalAxiosRequestConfig['adapter']

// Each wrapper remembers the adapter it wraps: a retried request (axios-retry re-sends the same
// config) comes back through the interceptor carrying the wrapper, which must not be wrapped
// twice (one attempt would then take two permits).
const wrapped = new WeakMap<AxiosAdapter, AdapterConfig>()

/**
 * The adapter that sends the request under `guard.breaker`: it acquires a permit as the last
 * step before sending, so nothing that fails earlier in axios's chain can hold one, and
 * settles it exactly once with what the adapter answered.
 */
export function guardAdapter(adapter: AdapterConfig, guard: Guard): AxiosAdapter {
  const original = unwrapped(adapter)
  const guarded: AxiosAdapter = (config) => send(original, guard, config)
  wrapped.set(guarded, original)
  return guarded
}

/**
 * {@link guardAdapter}, reusing the wrapper made last time for the same adapter and guard: most
 * requests of an instance share both, and a wrapper per request (a closure and a WeakMap entry)
 * costs more than the rest of the guard. `cache` belongs to one breaker's default guard.
 */
export function cachedGuardAdapter(
  adapter: AdapterConfig,
  guard: Guard,
  cache: { original?: AdapterConfig; guarded?: AxiosAdapter },
): AxiosAdapter {
  // The instance's own adapter, or this wrapper on a retried request: no WeakMap lookup then.
  if (cache.guarded !== undefined && (adapter === cache.original || adapter === cache.guarded))
    return cache.guarded
  const original = unwrapped(adapter)
  if (cache.guarded !== undefined && sameAdapter(cache.original, original)) return cache.guarded
  const guarded = guardAdapter(original, guard)
  cache.original = original
  cache.guarded = guarded
  return guarded
}

/** Same adapter: the same value, or lists of the same names/functions (axios copies lists per request). */
function sameAdapter(a: AdapterConfig, b: AdapterConfig): boolean {
  if (a === b) return true
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function unwrapped(adapter: AdapterConfig): AdapterConfig {
  return typeof adapter === 'function' && wrapped.has(adapter) ? wrapped.get(adapter) : adapter
}

// Not async: a permit granted at once (the in-memory state always answers at once) goes
// straight to the adapter, and the answer is settled in one reaction, without an async frame
// and the two awaits it would cost.
function send(
  original: AdapterConfig,
  guard: Guard,
  config: InternalAxiosRequestConfig,
): Promise<AxiosResponse> {
  let adapter: AxiosAdapter
  let admission: Permit | Promise<Permit>
  try {
    // Resolved before the permit: an adapter that cannot be found must not hold one. A function
    // is its own adapter (axios.getAdapter returns it as is): no need to ask.
    adapter =
      typeof original === 'function'
        ? original
        : axios.getAdapter(original ?? axios.defaults.adapter, config)
    if (!guard.attachment.attached) return Promise.resolve(adapter(config))
    admission = guard.breaker.tryAcquire()
  } catch (error) {
    return Promise.reject(error)
  }
  if (!(admission instanceof Promise)) return sendWith(adapter, admission, guard, config)
  return admission.then(
    (permit) => sendWith(adapter, permit, guard, config),
    (error: unknown) => {
      throw refusal(error, config)
    },
  )
}

/** Sends under `permit` and settles it exactly once with what the adapter answered. */
function sendWith(
  adapter: AxiosAdapter,
  permit: Permit,
  guard: Guard,
  config: InternalAxiosRequestConfig,
): Promise<AxiosResponse> {
  let answer: Promise<AxiosResponse>
  try {
    answer = Promise.resolve(adapter(config))
  } catch (error) {
    return failed(permit, guard, config, error)
  }
  return answer.then(
    (response) => {
      settle(permit, guard, config, response, undefined)
      return response
    },
    (error: unknown) => failed(permit, guard, config, error),
  )
}

/** Settles a failed send and rejects with its error (or with what a throwing `detectError` threw). */
function failed(
  permit: Permit,
  guard: Guard,
  config: InternalAxiosRequestConfig,
  error: unknown,
): Promise<never> {
  try {
    settle(permit, guard, config, responseOf(error), error)
  } catch (thrown) {
    return Promise.reject(thrown)
  }
  return Promise.reject(error)
}

/** The refusal (open or busy) carrying the request's config, as axios errors do. */
function refusal(error: unknown, config: InternalAxiosRequestConfig): unknown {
  if (isCircuitOpenError(error) || isCircuitBusyError(error)) Object.assign(error, { config })
  return error
}
