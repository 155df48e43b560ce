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

function unwrapped(adapter: AdapterConfig): AdapterConfig {
  return typeof adapter === 'function' && wrapped.has(adapter) ? wrapped.get(adapter) : adapter
}

async function send(
  original: AdapterConfig,
  guard: Guard,
  config: InternalAxiosRequestConfig,
): Promise<AxiosResponse> {
  // Resolved before the permit: an adapter that cannot be found must not hold one.
  const adapter = axios.getAdapter(original ?? axios.defaults.adapter, config)
  if (!guard.attachment.attached) return adapter(config)
  const permit = await acquire(guard.breaker, config)
  let response: AxiosResponse
  try {
    response = await adapter(config)
  } catch (error) {
    settle(permit, guard, config, responseOf(error), error)
    throw error
  }
  settle(permit, guard, config, response, undefined)
  return response
}

/** A permit, or the refusal (open or busy) carrying the request's config, as axios errors do. */
async function acquire(
  breaker: CircuitBreaker,
  config: InternalAxiosRequestConfig,
): Promise<Permit> {
  try {
    return await breaker.acquire()
  } catch (error) {
    if (isCircuitOpenError(error) || isCircuitBusyError(error)) Object.assign(error, { config })
    throw error
  }
}
