import type { CircuitBreakerRegistry, CircuitSnapshot } from '@tripswitch/core'
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerMetrics } from '../src/index.ts'
import { busyRegistry, fakeRegistry, HOSTILE, parse } from './helpers.ts'

const STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled'] as const
const KINDS = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timeouts'],
  ['busy', 'busy'],
] as const

/**
 * The same families made with prom-client's own Gauge and Counter from `registry.snapshot()`,
 * series in the same order: what prom-client itself would write for these values.
 */
function oracle(registry: CircuitBreakerRegistry, register: Registry<RegistryContentType>): void {
  const circuits: CircuitSnapshot[] = Object.values(registry.snapshot())
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name: `tripswitch_${name}`, help, labelNames, registers: [register] })
  const state = gauge(
    'circuit_state',
    'Circuit state, one series per state: 1 for the current one, 0 for the others.',
    ['name', 'state'],
  )
  const calls = new Counter({
    name: 'tripswitch_calls_total',
    help: 'Calls by how they ended: successful, failed (timeouts included), ignored, not_permitted (refused by the open circuit), timeout, busy (past maxConcurrent).',
    labelNames: ['name', 'kind'],
    registers: [register],
  })
  const rates = [
    gauge('failure_rate', 'Failures / calls in the current window (0 to 1; 0 without calls).', [
      'name',
    ]),
    gauge('slow_call_rate', 'Slow calls / calls in the current window (0 to 1; 0 without calls).', [
      'name',
    ]),
    gauge('buffered_calls', 'Calls counted in the current window.', ['name']),
  ] as const
  const transitions = new Counter({
    name: 'tripswitch_transitions_total',
    help: 'State transitions by edge.',
    labelNames: ['name', 'from', 'to'],
    registers: [register],
  })
  for (const c of circuits) {
    for (const s of STATES) state.set({ name: c.name, state: s }, s === c.state ? 1 : 0)
    for (const [kind, field] of KINDS) calls.inc({ name: c.name, kind }, c.totals[field])
    rates[0].set({ name: c.name }, c.failureRate)
    rates[1].set({ name: c.name }, c.slowCallRate)
    rates[2].set({ name: c.name }, c.calls)
    for (const [edge, n] of Object.entries(c.totals.transitions)) {
      const [from, to] = edge.split('->')
      transitions.inc({ name: c.name, from, to }, n)
    }
  }
}

async function both(registry: CircuitBreakerRegistry, openMetrics = false) {
  const ours = new Registry<RegistryContentType>()
  const theirs = new Registry<RegistryContentType>()
  if (openMetrics)
    for (const register of [ours, theirs])
      register.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
  return { ours, theirs, unregister: registerMetrics(registry, { register: ours }) }
}

describe('the exposition text', () => {
  it('is, byte for byte, what prom-client writes for the same values', async () => {
    const registry = await busyRegistry(300)
    const { ours, theirs } = await both(registry)
    const text = await ours.metrics()
    oracle(registry, theirs)
    expect(text).toBe(await theirs.metrics())
    // Every state, several transitions, hostile names: the comparison covered them.
    const scrape = parse(text)
    expect(scrape.labelValues('tripswitch_circuit_state', 'name')).toHaveLength(309)
    expect(scrape.labelValues('tripswitch_transitions_total', 'to').length).toBeGreaterThan(2)
    expect(new Set(Object.values(registry.snapshot()).map((c) => c.state)).size).toBe(3)
    expect(scrape.labelValues('tripswitch_failure_rate', 'name')).toEqual(
      expect.arrayContaining([...HOSTILE]),
    )
  })

  it('carries the registry default labels on every line, a series own label winning', async () => {
    const registry = await busyRegistry(120)
    const { ours, theirs } = await both(registry)
    const defaults = { app: 'offer "svc"\n', name: 'must-not-win', zone: 'eu\\1' }
    ours.setDefaultLabels(defaults)
    theirs.setDefaultLabels(defaults)
    const text = await ours.metrics()
    oracle(registry, theirs)
    expect(text).toBe(await theirs.metrics())
    const series = parse(text).families.flatMap((f) => f.metrics)
    expect(series.length).toBeGreaterThan(1500)
    expect(series.filter((s) => s.labels?.app !== defaults.app)).toEqual([])
    expect(series.filter((s) => s.labels?.name === 'must-not-win')).toEqual([])
  })

  it('writes OpenMetrics when the prom-client registry is set to it, and unregisters after', async () => {
    const registry = await busyRegistry(120)
    const { ours, theirs, unregister } = await both(registry, true)
    oracle(registry, theirs)
    const text = await ours.metrics()
    expect(text).toBe(await theirs.metrics())
    expect(text).toContain('# TYPE tripswitch_calls counter\n')
    expect(text).toContain('\ntripswitch_calls_total{name="route-0",kind="successful"} 1\n')
    expect(text).not.toContain('_total_total')
    expect(text.endsWith('\n# EOF\n')).toBe(true)
    // prom-client renamed the counters for OpenMetrics; unregistering still finds them.
    unregister()
    expect(ours.getMetricsAsArray()).toEqual([])
  })

  it('writes well-formed text for names with lone surrogates, wherever their line falls', async () => {
    const lone = ['\uD800alone', 'end\uDC00', 'a\uDBFFb\uDFFFc\uD83D\uDE80']
    const registry = await busyRegistry(40, lone)
    const register = new Registry()
    registerMetrics(registry, { register })
    const text = await register.metrics()
    expect((text as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true)
    const names = parse(text).labelValues('tripswitch_circuit_state', 'name')
    expect(names).toEqual(expect.arrayContaining(['\uFFFDalone', 'end\uFFFD', 'a\uFFFDb\uFFFDc🚀']))
    // The last circuit's lines are written by prom-client from labels made well-formed too.
    expect(text).toContain('tripswitch_buffered_calls{name="a\uFFFDb\uFFFDc🚀"} 0\n')
  })

  it('writes exactly as many series as circuits times states, across chunk boundaries', async () => {
    for (const count of [1, 51, 52, 256, 257, 513]) {
      const { registry } = fakeRegistry({ maxBreakers: count })
      for (let i = 0; i < count; i++) registry.get(`c${i}`)
      const register = new Registry()
      registerMetrics(registry, { register })
      const scrape = parse(await register.metrics())
      const states = scrape.family('tripswitch_circuit_state')?.metrics ?? []
      expect(states, String(count)).toHaveLength(count * 5)
      expect(
        states.filter((s) => s.value === '1'),
        String(count),
      ).toHaveLength(count)
      expect(scrape.family('tripswitch_transitions_total')?.metrics ?? []).toEqual([])
    }
  })

  it('gives getMetricsAsJSON one value per series, with labels', async () => {
    const registry = await busyRegistry(20)
    const register = new Registry()
    registerMetrics(registry, { register })
    const json = await register.getMetricsAsJSON()
    const state = json.find((m) => m.name === 'tripswitch_circuit_state')
    expect(state?.values).toHaveLength(29 * 5)
    expect(state?.values[0]).toEqual({ labels: { name: 'route-0', state: 'closed' }, value: 1 })
  })
})
