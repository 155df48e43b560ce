import { ListenerError } from './errors.ts'
import type { CircuitState } from './state.ts'

/** Payloads of the events a {@link CircuitBreaker} emits, by event name. */
export interface CircuitBreakerEvents {
  /** Any change of state. */
  stateChange: { name: string; from: CircuitState; to: CircuitState }
  /**
   * The circuit opened (tripped, a probe failed, ...) or was forced open. `retryAfterMs`: ms
   * until a probe (0 when forced open); `reason`: why; `error`: the failure that opened it
   * (undefined when none: forced, store, a failure found by `detectError`).
   */
  open: { name: string; retryAfterMs: number; reason: OpenReason; error: unknown }
  /** The circuit closed. */
  close: { name: string }
  /** The circuit entered half_open: probes are now allowed. */
  halfOpen: { name: string }
  /** A call counted as a success. `durationMs` is measured with the breaker's clock. */
  success: { name: string; durationMs: number }
  /** A call counted as a failure; `error` is what it threw (undefined for a detected result). */
  failure: { name: string; error: unknown; durationMs: number }
  /**
   * A call was refused without running (`error`: a `CircuitOpenError`, or a `CircuitBusyError`
   * past `maxConcurrent`). In shadow mode the call ran anyway and `shadow` is true.
   */
  reject: { name: string; error: unknown; shadow?: boolean }
  /** A call exceeded the `timeout` option. */
  timeout: { name: string; timeoutMs: number }
  /** The fallback answered in place of the call. */
  fallback: { name: string; error: unknown }
  /** The shared store failed or is unreachable; the breaker goes on with the store's fallback. */
  storeError: { name: string; error: unknown }
}

/**
 * Why a circuit opened:
 * - `threshold`: closed-state outcomes met the trip rule;
 * - `probe-failed`: a half-open probe failed (or was slower than `slowCallMs`);
 * - `half-open-timeout`: half-open found no decision within `halfOpenMaxWait`;
 * - `retry-after`: as `threshold` or `probe-failed`, and the callee's `Retry-After` set how long;
 * - `forced`: `forceOpen()` was called;
 * - `store`: another breaker sharing the store opened it.
 */
export type OpenReason =
  | 'threshold'
  | 'probe-failed'
  | 'half-open-timeout'
  | 'retry-after'
  | 'forced'
  | 'store'

/** A listener for event `K`. */
export type Listener<T> = (payload: T) => void

/** Removes the listener it was returned for; calling it twice is harmless. */
export type Unsubscribe = () => void

/**
 * A tiny typed emitter. The listener table is created on first subscription so an unobserved
 * breaker pays one null field. A throwing listener must neither corrupt the breaker's
 * bookkeeping, nor fail the call it was told about, nor crash the process: its error goes to
 * {@link reportListenerError} and the other listeners still run.
 */
export class Emitter<Events extends object> {
  private listeners: { [K in keyof Events]?: Array<Listener<Events[K]>> } | null = null

  /** Subscribes to `event`; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): Unsubscribe {
    if (typeof listener !== 'function')
      throw new TypeError(`Listener for "${String(event)}" must be a function`)
    this.listeners ??= {}
    this.listeners[event] ??= []
    this.listeners[event].push(listener)
    return () => {
      const current = this.listeners?.[event]
      const index = current ? current.indexOf(listener) : -1
      if (current && index >= 0) this.listeners![event] = current.filter((_, i) => i !== index)
    }
  }

  /** True when `event` has at least one listener. */
  has<K extends keyof Events>(event: K): boolean {
    const list = this.listeners?.[event]
    return list !== undefined && list.length > 0
  }

  /** Calls every listener of `event` with `payload`. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const list = this.listeners?.[event]
    if (list === undefined) return
    for (const listener of list) {
      try {
        listener(payload)
      } catch (error) {
        reportListenerError(String(event), error)
      }
    }
  }
}

interface WarningProcess {
  emitWarning(warning: Error): void
}

/**
 * Reports an error thrown by an event listener, through one channel: a process warning
 * (`process.on('warning', (w) => ...)`, `w.code === 'ERR_CIRCUIT_LISTENER'`, the listener's
 * error as `w.cause`), or `console.error` where there is no `process` (browsers).
 */
export function reportListenerError(event: string, error: unknown): void {
  const warning = new ListenerError(event, error)
  const proc = (globalThis as { process?: Partial<WarningProcess> }).process
  try {
    if (typeof proc?.emitWarning === 'function') proc.emitWarning(warning)
    else console.error(warning)
  } catch {
    // A warning handler that throws (--throw-deprecation aside, nothing should): never rethrow.
  }
}
