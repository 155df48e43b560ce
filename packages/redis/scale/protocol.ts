// Messages between the fleet coordinator (fleet.ts) and its workers (fleet-worker.ts).

/** What one worker runs with (passed as JSON in argv[2]). */
export interface WorkerSettings {
  readonly port: number
  readonly prefix: string
  /** Breakers per instance, named b0..b{breakers-1}: the same names in every instance. */
  readonly breakers: number
  /** How many of them (the first ones) are called; the rest stay idle. */
  readonly busy: number
  /** ms between two calls of each busy breaker. */
  readonly callEvery: number
  readonly syncInterval: number
  readonly pollInterval: number
  /** The store's and the client's commandTimeout, in ms. */
  readonly commandTimeout: number
}

export type FromCoordinator =
  | { readonly type: 'watch'; readonly name: string }
  | { readonly type: 'unwatch'; readonly name: string }
  | { readonly type: 'report' }

export type ToCoordinator =
  | { readonly type: 'ready'; readonly instanceId: string }
  | { readonly type: 'watching'; readonly name: string }
  /** `at`: wall-clock ms (performance.timeOrigin + performance.now()) when the breaker opened. */
  | { readonly type: 'seen'; readonly name: string; readonly at: number }
  /**
   * `downs`: times the store lost Redis so far (a command failed or took over its
   * commandTimeout); `cpuMs`: the process's CPU time so far (user + system).
   */
  | { readonly type: 'report'; readonly downs: number; readonly cpuMs: number }
