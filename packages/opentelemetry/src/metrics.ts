import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api'
import { type CircuitBreakerRegistry, type CircuitSnapshot, CircuitState } from '@tripswitch/core'

/** Attribute naming the circuit, on metrics and spans. */
export const CIRCUIT = 'tripswitch.circuit'

const STATES: readonly CircuitState[] = Object.values(CircuitState)

const CALL_KINDS = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timeouts'],
  ['busy', 'busy'],
] as const

interface Instruments {
  readonly state: Observable
  readonly calls: Observable
  readonly failureRate: Observable
  readonly slowCallRate: Observable
  readonly buffered: Observable
  readonly transitions: Observable
}

function createInstruments(meter: Meter): Instruments {
  return {
    state: meter.createObservableGauge('tripswitch.circuit.state', {
      description: 'Circuit state, one series per state: 1 for the current one, 0 for the others.',
      unit: '1',
    }),
    calls: meter.createObservableCounter('tripswitch.calls', {
      description: 'Calls by how they ended (tripswitch.call.kind).',
      unit: '{call}',
    }),
    failureRate: meter.createObservableGauge('tripswitch.circuit.failure_rate', {
      description: 'Failures / calls in the current window (0 to 1).',
      unit: '1',
    }),
    slowCallRate: meter.createObservableGauge('tripswitch.circuit.slow_call_rate', {
      description: 'Slow calls / calls in the current window (0 to 1).',
      unit: '1',
    }),
    buffered: meter.createObservableGauge('tripswitch.circuit.buffered_calls', {
      description: 'Calls counted in the current window.',
      unit: '{call}',
    }),
    transitions: meter.createObservableCounter('tripswitch.circuit.transitions', {
      description: 'State transitions by edge (tripswitch.state.from, tripswitch.state.to).',
      unit: '{transition}',
    }),
  }
}

function observe(result: BatchObservableResult, i: Instruments, s: CircuitSnapshot): void {
  const circuit = { [CIRCUIT]: s.name }
  for (const state of STATES)
    result.observe(i.state, state === s.state ? 1 : 0, { ...circuit, 'tripswitch.state': state })
  for (const [kind, field] of CALL_KINDS)
    result.observe(i.calls, s.totals[field], { ...circuit, 'tripswitch.call.kind': kind })
  result.observe(i.failureRate, s.failureRate, circuit)
  result.observe(i.slowCallRate, s.slowCallRate, circuit)
  result.observe(i.buffered, s.calls, circuit)
  for (const [edge, n] of Object.entries(s.totals.transitions)) {
    const [from = '', to = ''] = edge.split('->')
    result.observe(i.transitions, n, {
      ...circuit,
      'tripswitch.state.from': from,
      'tripswitch.state.to': to,
    })
  }
}

/**
 * Observable instruments read from `registry.snapshot()` at each collection, in one batch
 * callback (one snapshot per breaker per collection). Returns the function removing it.
 */
export function observeRegistry(meter: Meter, registry: CircuitBreakerRegistry): () => void {
  const instruments = createInstruments(meter)
  const all = Object.values(instruments)
  const callback = (result: BatchObservableResult) => {
    // snapshot() reads state lazily: an open circuit past its deadline reads half_open.
    for (const snapshot of Object.values(registry.snapshot()))
      observe(result, instruments, snapshot)
  }
  meter.addBatchObservableCallback(callback, all)
  return () => meter.removeBatchObservableCallback(callback, all)
}
