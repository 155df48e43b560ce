import type { CircuitBreakerRegistry, CircuitState } from '@tripswitch/core'
import { CircuitReading, everyBreaker, readCircuit } from '@tripswitch/core/adapter'
import { escapeLabelValue } from './exposition.ts'

/** The numeric values a table keeps per circuit, named as in {@link CircuitReading}. */
export type CircuitColumn =
  | 'calls'
  | 'failureRate'
  | 'slowCallRate'
  | 'successful'
  | 'failed'
  | 'ignored'
  | 'notPermitted'
  | 'busy'
  | 'timeouts'

const COLUMNS: readonly CircuitColumn[] = [
  'calls',
  'failureRate',
  'slowCallRate',
  'successful',
  'failed',
  'ignored',
  'notPermitted',
  'busy',
  'timeouts',
]

type Columns = Record<CircuitColumn, Float64Array>

function columns(capacity: number): Columns {
  const out = {} as Columns
  for (const column of COLUMNS) out[column] = new Float64Array(capacity)
  return out
}

/**
 * The values of every circuit of a registry at one instant, one column per value, row `i`
 * being the `i`-th breaker of `registry.snapshot()`'s order. Filled from core's
 * {@link readCircuit} (no snapshot object per breaker) and refilled scrape after scrape: once
 * its arrays are large enough, a fill allocates nothing but the list of breakers.
 */
export class CircuitTable {
  /** Rows filled. */
  size = 0
  /** Circuit names, as given. */
  readonly names: string[] = []
  /** Circuit names as written between quotes (see {@link escapeLabelValue}). */
  readonly escapedNames: string[] = []
  readonly states: CircuitState[] = []
  /** `values[column][i]`: a numeric value of row `i`. */
  values: Columns = columns(0)
  /** Row `i`'s transitions are `edges[k]` / `edgeCounts[k]` for `edgeStart[i] <= k < edgeStart[i + 1]`. */
  edgeStart: Uint32Array = new Uint32Array(1)
  readonly edges: string[] = []
  readonly edgeCounts: number[] = []
  private edgeCount = 0
  private readonly reading = new CircuitReading()
  private readonly addEdge = (count: number, edge: string): void => {
    this.edges[this.edgeCount] = edge
    this.edgeCounts[this.edgeCount++] = count
  }

  /** Reads every breaker of `registry` (the overflow breaker last, once it exists). */
  fill(registry: CircuitBreakerRegistry): this {
    const breakers = everyBreaker(registry)
    const n = breakers.length
    if (this.values.calls.length < n) this.grow(n)
    const { reading, values, names, escapedNames, states, edgeStart } = this
    this.edgeCount = 0
    for (let i = 0; i < n; i++) {
      readCircuit(breakers[i]!, reading)
      names[i] = reading.name
      // Most names need no escaping: escapeLabelValue returns them as they are.
      escapedNames[i] = escapeLabelValue(reading.name)
      states[i] = reading.state
      for (const column of COLUMNS) values[column][i] = reading[column]
      reading.transitions.forEach(this.addEdge)
      edgeStart[i + 1] = this.edgeCount
    }
    this.size = n
    return this
  }

  /** Drops the references to names and edges, so a pooled table keeps no evicted name alive. */
  clear(): void {
    this.names.fill('')
    this.escapedNames.fill('')
    this.edges.fill('')
    this.size = 0
  }

  private grow(n: number): void {
    const capacity = Math.max(n, this.values.calls.length * 2)
    this.values = columns(capacity)
    this.edgeStart = new Uint32Array(capacity + 1)
  }
}
