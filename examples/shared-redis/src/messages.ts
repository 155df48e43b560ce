import type { CircuitState } from '@tripswitch/core'

/** What the coordinator tells a worker when forking it (one JSON argument). */
export interface WorkerSettings {
  readonly worker: number
  readonly redisUrl: string
  readonly prefix: string
  readonly breakerName: string
  readonly upstreamUrl: string
  readonly recoveryMs: number
  readonly callIntervalMs: number
}

/** How one call of a worker ended: answered, failed, or refused by the breaker. */
export type CallOutcome = 'success' | 'failure' | 'refused'

/**
 * Worker -> coordinator, over the IPC channel. `at` is the worker's wall time in ms with
 * sub-ms precision (performance.timeOrigin + performance.now()): processes on one host share
 * that clock, so the coordinator can compare when each worker saw a transition.
 */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly worker: number; readonly at: number }
  | {
      readonly type: 'call'
      readonly worker: number
      readonly at: number
      readonly outcome: CallOutcome
      /** True for the half-open probe (the permit Redis leased to this worker). */
      readonly probe: boolean
      readonly durationMs: number
    }
  | {
      readonly type: 'state'
      readonly worker: number
      readonly at: number
      readonly from: CircuitState
      readonly to: CircuitState
    }
  | {
      readonly type: 'storeError'
      readonly worker: number
      readonly at: number
      readonly message: string
    }

/** Coordinator -> worker. */
export type CoordinatorMessage = { readonly type: 'stop' }

/** Wall time in ms with sub-ms precision, comparable across processes on one host. */
export function wallTime(): number {
  return performance.timeOrigin + performance.now()
}
