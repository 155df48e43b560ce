import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api'
import type { CircuitBreakerRegistry, CircuitSnapshot } from '@tripswitch/core'
import { AttributeCache, CALL_KINDS, type CircuitAttributes, STATES } from './attributes.ts'

interface Instruments {
  readonly state: Observable
  readonly calls: Observable
  readonly failureRate: Observable
  readonly slowCallRate: Observable
  readonly buffered: Observable
  readonly transitions: Observable
}

/** Each instrument: kind, name, description and unit. */
const SPECS = {
  state: [
    'gauge',
    'tripswitch.circuit.state',
    'Circuit state, one series per state: 1 for the current one, 0 for the others.',
    '1',
  ],
  calls: [
    'counter',
    'tripswitch.calls',
    'Calls by how they ended (tripswitch.call.kind).',
    '{call}',
  ],
  failureRate: [
    'gauge',
    'tripswitch.circuit.failure_rate',
    'Failures / calls in the current window (0 to 1).',
    '1',
  ],
  slowCallRate: [
    'gauge',
    'tripswitch.circuit.slow_call_rate',
    'Slow calls / calls in the current window (0 to 1).',
    '1',
  ],
  buffered: [
    'gauge',
    'tripswitch.circuit.buffered_calls',
    'Calls counted in the current window.',
    '{call}',
  ],
  transitions: [
    'counter',
    'tripswitch.circuit.transitions',
    'State transitions by edge (tripswitch.state.from, tripswitch.state.to).',
    '{transition}',
  ],
} as const satisfies Record<keyof Instruments, readonly [string, string, string, string]>

function createInstruments(meter: Meter): Instruments {
  const create = ([kind, name, description, unit]: (typeof SPECS)[keyof Instruments]) =>
    kind === 'gauge'
      ? meter.createObservableGauge(name, { description, unit })
      : meter.createObservableCounter(name, { description, unit })
  return {
    state: create(SPECS.state),
    calls: create(SPECS.calls),
    failureRate: create(SPECS.failureRate),
    slowCallRate: create(SPECS.slowCallRate),
    buffered: create(SPECS.buffered),
    transitions: create(SPECS.transitions),
  }
}

function observe(
  result: BatchObservableResult,
  i: Instruments,
  s: CircuitSnapshot,
  a: CircuitAttributes,
): void {
  for (let k = 0; k < STATES.length; k++)
    result.observe(i.state, STATES[k] === s.state ? 1 : 0, a.states[k])
  for (let k = 0; k < CALL_KINDS.length; k++)
    result.observe(i.calls, s.totals[CALL_KINDS[k]![1]], a.kinds[k])
  result.observe(i.failureRate, s.failureRate, a.circuit)
  result.observe(i.slowCallRate, s.slowCallRate, a.circuit)
  result.observe(i.buffered, s.calls, a.circuit)
  for (const edge in s.totals.transitions)
    result.observe(i.transitions, s.totals.transitions[edge]!, a.edge(edge))
}

/**
 * Observable instruments read from `registry.snapshot()` at each collection, in one batch
 * callback (one snapshot per breaker per collection). Returns the function removing it.
 */
export function observeRegistry(meter: Meter, registry: CircuitBreakerRegistry): () => void {
  const instruments = createInstruments(meter)
  const all = Object.values(instruments)
  const attributes = new AttributeCache()
  const callback = (result: BatchObservableResult) => {
    attributes.begin()
    // snapshot() reads state lazily: an open circuit past its deadline reads half_open.
    for (const snapshot of Object.values(registry.snapshot()))
      observe(result, instruments, snapshot, attributes.of(snapshot.name))
    attributes.sweep()
  }
  meter.addBatchObservableCallback(callback, all)
  return () => meter.removeBatchObservableCallback(callback, all)
}
