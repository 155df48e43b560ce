/** An instance that holds a breaker for a circuit, as the fleet reports it. */
export interface InstanceRow {
  /** The instance id (`RedisStore.instanceId`). */
  readonly id: string
  /** When it last reported the circuit, epoch ms. */
  readonly lastSeen: number
}

/**
 * One circuit as the CLI shows it, whichever source it came from; the `--json` output of `ls` is
 * an array of these. What a source does not know is `null`: Redis holds the shared state but no
 * rates, an instance's admin API without a shared store has no fleet.
 */
export interface CircuitRow {
  /** The circuit's name, exactly as the source gave it (untrusted: escaped before display). */
  readonly name: string
  /** `closed`, `open`, `half_open`, `forced_open` or `disabled` (another string when a source sends one). */
  readonly state: string
  /** Grows by one on every transition; `null` when unknown. */
  readonly generation: number | null
  /** Milliseconds until a probe is allowed, at `at`; 0 unless open. */
  readonly retryAfterMs: number
  /** Openings since the circuit last closed; `null` when unknown. */
  readonly openings: number | null
  /** Share of failed calls in the window, 0 to 1; `null` when unknown. */
  readonly failureRate: number | null
  /** Share of slow calls in the window, 0 to 1; `null` when unknown. */
  readonly slowCallRate: number | null
  /** Calls per second lately; `null` when unknown. */
  readonly callsPerSecond: number | null
  /** Instances holding a breaker for it (fleet view); `null` when unknown. */
  readonly instances: readonly InstanceRow[] | null
  /** When the source produced this row, epoch ms. */
  readonly at: number
}

/** What `open`, `close`, `reset` and `disable` do. */
export type Action = 'open' | 'close' | 'reset' | 'disable'

/** The answer to an action: the circuit's state after it. */
export interface ActionResult {
  readonly name: string
  readonly action: Action
  readonly state: string
}

/** Orders rows by name, by UTF-16 code units (the same order whatever the locale). */
export function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}
