import type { Action, ActionResult, CircuitRow } from '../model.ts'

/** A change heard while watching. */
export type WatchUpdate =
  /** Every circuit, as of `at`. */
  | { readonly kind: 'snapshot'; readonly rows: readonly CircuitRow[]; readonly at: number }
  /** One circuit moved (heard as it happened, between snapshots). */
  | {
      readonly kind: 'transition'
      readonly name: string
      readonly from: string
      readonly to: string
      readonly at: number
    }

/** Where the CLI reads circuits and acts on them: the shared Redis store, or one instance's admin API. */
export interface CircuitSource {
  /** What the source is, for messages (`Redis at 127.0.0.1:6379, prefix "tripswitch:"`). */
  readonly label: string
  /** Every circuit, sorted by name. */
  list(): Promise<CircuitRow[]>
  /** Snapshots (and transitions when the source pushes them) until `signal` aborts; ends then. */
  watch(signal: AbortSignal): AsyncIterable<WatchUpdate>
  /**
   * Applies `action` to circuit `name`.
   * @throws {CommandError} when it cannot (unknown circuit without `force`, refused, unreachable).
   */
  act(name: string, action: Action, force: boolean): Promise<ActionResult>
  /** Releases connections. */
  close(): Promise<void>
}
