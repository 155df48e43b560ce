import type { CircuitBreakerRegistry, CircuitState } from '@tripswitch/core'
import { CircuitReading, everyBreaker, readCircuit } from '@tripswitch/core/adapter'
import { escapeLabelValue } from './exposition.ts'

const EMPTY = new Float64Array(0)

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
  // One column per value of CircuitReading: row i's is [i].
  calls: Float64Array = EMPTY
  failureRate: Float64Array = EMPTY
  slowCallRate: Float64Array = EMPTY
  successful: Float64Array = EMPTY
  failed: Float64Array = EMPTY
  ignored: Float64Array = EMPTY
  notPermitted: Float64Array = EMPTY
  busy: Float64Array = EMPTY
  timeouts: Float64Array = EMPTY
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
    if (this.calls.length < n) this.grow(n)
    this.edgeCount = 0
    for (let i = 0; i < n; i++) this.row(i, readCircuit(breakers[i]!, this.reading))
    this.size = n
    return this
  }

  private row(i: number, reading: CircuitReading): void {
    this.names[i] = reading.name
    // Most names need no escaping: escapeLabelValue returns them as they are.
    this.escapedNames[i] = escapeLabelValue(reading.name)
    this.states[i] = reading.state
    this.calls[i] = reading.calls
    this.failureRate[i] = reading.failureRate
    this.slowCallRate[i] = reading.slowCallRate
    this.successful[i] = reading.successful
    this.failed[i] = reading.failed
    this.ignored[i] = reading.ignored
    this.notPermitted[i] = reading.notPermitted
    this.busy[i] = reading.busy
    this.timeouts[i] = reading.timeouts
    reading.transitions.forEach(this.addEdge)
    this.edgeStart[i + 1] = this.edgeCount
  }

  /** Drops the references to names and edges, so a pooled table keeps no evicted name alive. */
  clear(): void {
    this.names.fill('')
    this.escapedNames.fill('')
    this.edges.fill('')
    this.size = 0
  }

  private grow(n: number): void {
    const capacity = Math.max(n, this.calls.length * 2)
    this.calls = new Float64Array(capacity)
    this.failureRate = new Float64Array(capacity)
    this.slowCallRate = new Float64Array(capacity)
    this.successful = new Float64Array(capacity)
    this.failed = new Float64Array(capacity)
    this.ignored = new Float64Array(capacity)
    this.notPermitted = new Float64Array(capacity)
    this.busy = new Float64Array(capacity)
    this.timeouts = new Float64Array(capacity)
    this.edgeStart = new Uint32Array(capacity + 1)
  }
}
