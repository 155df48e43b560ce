import { OVERFLOW_BREAKER_NAME } from '@tripswitch/core'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerMetrics } from '../src/index.ts'
import { fakeRegistry, parse, scrapeHttp, serveApp } from './helpers.ts'

const ROUTE = 'GET /offer'
const defaults = { errorThreshold: 2, recoveryTimeout: 10_000 }

describe('registerMetrics, scraped over HTTP from a real Express app', () => {
  it('follows a circuit through trip, refusal, probe and close', async () => {
    const { clock, registry } = fakeRegistry({ defaults })
    const register = new Registry()
    registerMetrics(registry, { register })
    const upstream = { failing: false }
    const app = await serveApp(registry, register, upstream)

    expect((await app.get('/offer')).status).toBe(200)
    let scrape = await scrapeHttp(app)
    expect(scrape.stateOf(ROUTE)).toBe('closed')
    expect(scrape.labelValues('tripswitch_circuit_state', 'state')).toEqual([
      'closed',
      'disabled',
      'forced_open',
      'half_open',
      'open',
    ])
    expect(scrape.value('tripswitch_calls_total', { name: ROUTE, kind: 'successful' })).toBe(1)
    expect(scrape.value('tripswitch_buffered_calls', { name: ROUTE })).toBe(1)

    upstream.failing = true
    expect((await app.get('/offer')).status).toBe(500)
    scrape = await scrapeHttp(app)
    expect(scrape.value('tripswitch_failure_rate', { name: ROUTE })).toBe(0.5)
    expect((await app.get('/offer')).status).toBe(500)
    expect((await app.get('/offer')).status).toBe(503)
    expect((await app.get('/offer')).status).toBe(503)

    scrape = await scrapeHttp(app)
    expect(scrape.stateOf(ROUTE)).toBe('open')
    expect(scrape.value('tripswitch_calls_total', { name: ROUTE, kind: 'failed' })).toBe(2)
    expect(scrape.value('tripswitch_calls_total', { name: ROUTE, kind: 'not_permitted' })).toBe(2)
    expect(
      scrape.value('tripswitch_transitions_total', { name: ROUTE, from: 'closed', to: 'open' }),
    ).toBe(1)
    expect(scrape.family('tripswitch_calls_total')?.type).toBe('COUNTER')

    // No call needed: the scrape's own read moves the circuit past its deadline to half_open.
    clock.advance(10_000)
    scrape = await scrapeHttp(app)
    expect(scrape.stateOf(ROUTE)).toBe('half_open')
    expect(
      scrape.value('tripswitch_transitions_total', { name: ROUTE, from: 'open', to: 'half_open' }),
    ).toBe(1)

    upstream.failing = false
    expect((await app.get('/offer')).status).toBe(200)
    scrape = await scrapeHttp(app)
    expect(scrape.stateOf(ROUTE)).toBe('closed')
    expect(
      scrape.value('tripswitch_transitions_total', {
        name: ROUTE,
        from: 'half_open',
        to: 'closed',
      }),
    ).toBe(1)
    expect(scrape.value('tripswitch_calls_total', { name: ROUTE, kind: 'successful' })).toBe(2)
    expect(scrape.value('tripswitch_failure_rate', { name: ROUTE })).toBe(0)
    expect(scrape.value('tripswitch_buffered_calls', { name: ROUTE })).toBe(0)
    expect(scrape.value('tripswitch_slow_call_rate', { name: ROUTE })).toBe(0)
    // Exactly one series per state for the one circuit, one of them 1.
    const states = scrape.family('tripswitch_circuit_state')?.metrics ?? []
    expect(states.map((m) => m.value).sort()).toEqual(['0', '0', '0', '0', '1'])
  })

  it('drops the series of an evicted breaker at the next scrape, and shows the overflow breaker as one', async () => {
    const { registry } = fakeRegistry({ maxBreakers: 2 })
    const register = new Registry()
    registerMetrics(register === undefined ? registry : registry, { register })
    await registry.get('a').execute(() => 1)
    await registry.get('b').execute(() => 1)
    let scrape = parse(await register.metrics())
    expect(scrape.labelValues('tripswitch_calls_total', 'name')).toEqual(['a', 'b'])

    registry.get('c')
    scrape = parse(await register.metrics())
    expect(registry.has('a')).toBe(false)
    for (const family of scrape.families)
      expect(
        family.metrics.filter((m) => m.labels?.name === 'a'),
        family.name,
      ).toEqual([])
    expect(scrape.labelValues('tripswitch_circuit_state', 'name')).toEqual(['b', 'c'])

    // A failing breaker cannot be evicted: a full registry sends new names to one overflow breaker.
    const b = registry.get('b')
    const c = registry.get('c')
    await expect(b.execute(() => Promise.reject(new Error('x')))).rejects.toThrow()
    await expect(c.execute(() => Promise.reject(new Error('x')))).rejects.toThrow()
    for (const name of ['d', 'e', 'f']) await registry.get(name).execute(() => 1)
    scrape = parse(await register.metrics())
    expect(scrape.labelValues('tripswitch_circuit_state', 'name')).toEqual([
      'b',
      'c',
      OVERFLOW_BREAKER_NAME,
    ])
    expect(
      scrape.value('tripswitch_calls_total', { name: OVERFLOW_BREAKER_NAME, kind: 'successful' }),
    ).toBe(3)
  })

  it('exports two breaker registries side by side, each under its own prefix', async () => {
    const inbound = fakeRegistry({ defaults })
    const outbound = fakeRegistry({ defaults })
    const register = new Registry()
    registerMetrics(inbound.registry, { register })
    registerMetrics(outbound.registry, { register, prefix: 'tripswitch_outbound_' })
    // The same breaker name in both registries stays two circuits.
    await inbound.registry.get('payments').execute(() => 1)
    const out = outbound.registry.get('payments')
    for (let i = 0; i < 2; i++)
      await expect(out.execute(() => Promise.reject(new Error('x')))).rejects.toThrow()
    const scrape = parse(await register.metrics())
    expect(scrape.stateOf('payments')).toBe('closed')
    expect(scrape.stateOf('payments', 'tripswitch_outbound_')).toBe('open')
    expect(scrape.value('tripswitch_calls_total', { name: 'payments', kind: 'failed' })).toBe(0)
    expect(
      scrape.value('tripswitch_outbound_calls_total', { name: 'payments', kind: 'failed' }),
    ).toBe(2)
  })

  it('exports two breaker registries into two prom-client registries with the default prefix', async () => {
    const first = fakeRegistry()
    const second = fakeRegistry()
    const [one, two] = [new Registry(), new Registry()]
    registerMetrics(first.registry, { register: one })
    registerMetrics(second.registry, { register: two })
    first.registry.get('only-in-first').forceOpen()
    second.registry.get('only-in-second')
    expect(parse(await one.metrics()).labelValues('tripswitch_circuit_state', 'name')).toEqual([
      'only-in-first',
    ])
    expect(parse(await two.metrics()).labelValues('tripswitch_circuit_state', 'name')).toEqual([
      'only-in-second',
    ])
    expect(parse(await one.metrics()).stateOf('only-in-first')).toBe('forced_open')
  })

  it('refuses a second registration under a prefix already used in the same prom-client registry', () => {
    const register = new Registry()
    registerMetrics(fakeRegistry().registry, { register })
    expect(() => registerMetrics(fakeRegistry().registry, { register })).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'prefix' }),
    )
    // Nothing half-registered: the first registration's metrics are still the only ones.
    expect(register.getMetricsAsArray()).toHaveLength(6)
  })

  it('joins the default prom-client register when none is given, and leaves it on unregister', async () => {
    const { register: globalRegister } = await import('prom-client')
    const { registry } = fakeRegistry()
    registry.get('default-register')
    const unregister = registerMetrics(registry)
    expect(parse(await globalRegister.metrics()).stateOf('default-register')).toBe('closed')
    unregister()
    unregister()
    expect(globalRegister.getSingleMetric('tripswitch_circuit_state')).toBeUndefined()
    expect(parse(await globalRegister.metrics()).families).toEqual([])
  })

  it('reports store_up from a store that tells its outages', async () => {
    const store = { unavailable: false }
    const register = new Registry()
    registerMetrics(fakeRegistry().registry, { register, store })
    expect(parse(await register.metrics()).value('tripswitch_store_up')).toBe(1)
    store.unavailable = true
    expect(parse(await register.metrics()).value('tripswitch_store_up')).toBe(0)
    const without = new Registry()
    registerMetrics(fakeRegistry().registry, { register: without })
    expect(parse(await without.metrics()).family('tripswitch_store_up')).toBeUndefined()
  })

  it('reads each breaker once per scrape, however many metrics, and makes no snapshot', async () => {
    const { registry } = fakeRegistry()
    const reads = new Map<string, number>()
    let snapshots = 0
    for (const name of ['a', 'b', 'c']) {
      const breaker = registry.get(name)
      // The state is read once per reading of a breaker (lazily, as snapshot() reads it).
      const state = stateGetter(breaker)
      Object.defineProperty(breaker, 'state', {
        get() {
          reads.set(name, (reads.get(name) ?? 0) + 1)
          return state.call(breaker)
        },
      })
      const snapshot = breaker.snapshot.bind(breaker)
      breaker.snapshot = () => {
        snapshots++
        return snapshot()
      }
    }
    const register = new Registry()
    registerMetrics(registry, { register })
    await register.metrics()
    expect(Object.fromEntries(reads)).toEqual({ a: 1, b: 1, c: 1 })
    await register.getMetricsAsJSON()
    expect(Object.fromEntries(reads)).toEqual({ a: 2, b: 2, c: 2 })
    expect(snapshots).toBe(0)
  })

  it('escapes hostile circuit names so the exposition still parses', async () => {
    const { registry } = fakeRegistry()
    const names = ['quote"and\\slash', 'line\nbreak', '__proto__', 'x'.repeat(256)]
    for (const name of names) registry.get(name)
    const register = new Registry()
    registerMetrics(registry, { register })
    const scrape = parse(await register.metrics())
    expect(scrape.labelValues('tripswitch_failure_rate', 'name')).toEqual([...names].sort())
  })
})

/** The `state` getter a breaker inherits. */
function stateGetter(breaker: object): () => string {
  for (
    let proto = Object.getPrototypeOf(breaker);
    proto !== null;
    proto = Object.getPrototypeOf(proto)
  ) {
    const get = Object.getOwnPropertyDescriptor(proto, 'state')?.get
    if (get !== undefined) return get
  }
  throw new Error('no state getter')
}
