import type { CircuitRow } from '../model.ts'
import type { WatchUpdate } from '../sources/source.ts'

/** One change seen by `watch`; `watch --json` prints one per line. */
export interface Change {
  /** When it was heard, epoch ms. */
  readonly at: number
  readonly name: string
  /** The state before; `null` for a circuit first seen. */
  readonly from: string | null
  /** The state after; `null` for a circuit gone from the source. */
  readonly to: string | null
  /** The circuit after the change; `null` when gone. */
  readonly circuit: CircuitRow | null
}

const blank = (name: string, at: number): CircuitRow => ({
  name,
  state: 'closed',
  generation: null,
  retryAfterMs: 0,
  openings: null,
  failureRate: null,
  slowCallRate: null,
  callsPerSecond: null,
  instances: null,
  at,
})

/** A new state, or a generation that moved (transitions missed between two snapshots). */
function moved(before: CircuitRow, after: CircuitRow): boolean {
  if (before.state !== after.state) return true
  return (
    before.generation !== null &&
    after.generation !== null &&
    before.generation !== after.generation
  )
}

/**
 * The circuits as `watch` knows them: each update replaces them and tells what changed.
 * A transition pushed by the source moves one circuit at once, its generation unknown until the
 * next snapshot, so that snapshot does not report the same move again.
 */
export class CircuitBoard {
  private readonly rows = new Map<string, CircuitRow>()
  /** True once a snapshot arrived. */
  ready = false

  /** Every circuit, sorted by name as the last snapshot was. */
  all(): CircuitRow[] {
    return [...this.rows.values()]
  }

  /** Applies `update`; returns the changes, in name order. */
  apply(update: WatchUpdate): Change[] {
    return update.kind === 'snapshot'
      ? this.snapshot(update.rows, update.at)
      : this.transition(update)
  }

  private snapshot(rows: readonly CircuitRow[], at: number): Change[] {
    const changes: Change[] = []
    const seen = new Set<string>()
    for (const row of rows) {
      seen.add(row.name)
      const before = this.rows.get(row.name)
      if (before === undefined || moved(before, row))
        changes.push({
          at,
          name: row.name,
          from: before?.state ?? null,
          to: row.state,
          circuit: row,
        })
    }
    for (const [name, before] of this.rows)
      if (!seen.has(name)) changes.push({ at, name, from: before.state, to: null, circuit: null })
    this.rows.clear()
    for (const row of rows) this.rows.set(row.name, row)
    this.ready = true
    return changes
  }

  private transition(update: Extract<WatchUpdate, { kind: 'transition' }>): Change[] {
    const before = this.rows.get(update.name)
    const after: CircuitRow = {
      ...(before ?? blank(update.name, update.at)),
      state: update.to,
      generation: null,
    }
    this.rows.set(update.name, after)
    return [{ at: update.at, name: update.name, from: update.from, to: update.to, circuit: after }]
  }
}
