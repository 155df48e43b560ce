import {
  type BreakerDefaults,
  CircuitBreaker,
  CircuitBreakerRegistry,
  type CircuitBreakerRegistryOptions,
  MemoryStore,
  OVERFLOW_BREAKER_NAME,
  type RegistryEvents,
} from '@tripswitch/core'
import { describe, expect, it, vi } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const fail = () => Promise.reject(new Error('down'))
const ok = () => Promise.resolve('ok')

function setup(options: Omit<CircuitBreakerRegistryOptions, 'clock'> = {}) {
  const clock = new FakeClock(1_000)
  const registry = new CircuitBreakerRegistry({
    ...options,
    clock,
    defaults: { errorThreshold: 1, recoveryTimeout: 1_000, ...options.defaults },
  })
  return { clock, registry }
}

/** Records every event `event` of `registry`. */
function record<K extends keyof RegistryEvents>(registry: CircuitBreakerRegistry, event: K) {
  const seen: Array<RegistryEvents[K]> = []
  const off = registry.on(event, (payload) => seen.push(payload))
  return { seen, off }
}

async function trip(breaker: CircuitBreaker): Promise<void> {
  await breaker.execute(fail).catch(() => undefined)
  expect(breaker.state).toBe('open')
}

describe('get / has / delete', () => {
  it('creates a breaker on first use and returns the same one afterwards', () => {
    const { registry } = setup()
    expect(registry.has('db')).toBe(false)
    const db = registry.get('db')
    expect(db).toBeInstanceOf(CircuitBreaker)
    expect(db.name).toBe('db')
    expect(registry.has('db')).toBe(true)
    expect(registry.get('db')).toBe(db)
    expect(registry.size).toBe(1)
  })

  it('applies per-breaker options over the defaults', () => {
    const { registry, clock } = setup({ defaults: { errorThreshold: 5, timeout: 200 } })
    const a = registry.get('a', { errorThreshold: 2 })
    const b = registry.get('b')
    expect(a.settings).toMatchObject({ errorThreshold: 2, timeout: 200, clock })
    expect([a.name, b.name]).toEqual(['a', 'b'])
    expect(b.settings).toMatchObject({ errorThreshold: 5, timeout: 200, clock })
  })

  it('lets get() switch the strategy of the defaults', () => {
    const registry = new CircuitBreakerRegistry({ defaults: { recoveryTimeout: 500 } })
    const r = registry.get('r', { strategy: 'rate', windowSize: 4 })
    expect(r.settings).toMatchObject({ strategy: 'rate', windowSize: 4, recoveryTimeout: 500 })
  })

  it('rejects a default of another strategy, unless get() clears it with undefined', () => {
    const registry = new CircuitBreakerRegistry({ defaults: { errorThreshold: 3 } })
    expect(() => registry.get('r', { strategy: 'rate' })).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'errorThreshold' }),
    )
    expect(registry.has('r')).toBe(false)
    const r = registry.get('r', { strategy: 'rate', errorThreshold: undefined })
    expect(r.settings.strategy).toBe('rate')
  })

  it('gives every breaker the registry store', async () => {
    const clock = new FakeClock()
    const store = new MemoryStore({ clock })
    const registry = new CircuitBreakerRegistry({ store, clock, defaults: { errorThreshold: 1 } })
    const outsider = new CircuitBreaker({ name: 'db', store, clock })
    await trip(registry.get('db'))
    expect(outsider.state).toBe('open')
  })

  it('delete() drops the breaker; the next get() makes a fresh one', async () => {
    const { registry } = setup()
    const db = registry.get('db')
    await trip(db)
    expect(registry.delete('db')).toBe(true)
    expect(registry.delete('db')).toBe(false)
    expect(registry.has('db')).toBe(false)
    const fresh = registry.get('db')
    expect(fresh).not.toBe(db)
    expect(fresh.state).toBe('closed')
  })

  it('delete() detaches the breaker from the shared store', async () => {
    const clock = new FakeClock()
    const store = new MemoryStore({ clock })
    const registry = new CircuitBreakerRegistry({ store, clock, defaults: { errorThreshold: 1 } })
    const dropped = registry.get('db')
    registry.delete('db')
    await trip(new CircuitBreaker({ name: 'db', store, clock, errorThreshold: 1 }))
    expect(dropped.state).toBe('closed')
  })
})

describe('list / listOpen / snapshot / health', () => {
  it('lists breakers least recently used first', () => {
    const { registry } = setup()
    registry.get('a')
    registry.get('b')
    registry.get('c')
    registry.get('a')
    expect(registry.list().map((b) => b.name)).toEqual(['b', 'c', 'a'])
  })

  it('lists the open, half-open and forced-open breakers, not closed or disabled ones', async () => {
    const { registry, clock } = setup()
    const [closed, open, halfOpen, forced, disabled] = ['c', 'o', 'h', 'f', 'd'].map((n) =>
      registry.get(n),
    ) as [CircuitBreaker, CircuitBreaker, CircuitBreaker, CircuitBreaker, CircuitBreaker]
    await trip(halfOpen)
    clock.advance(1_000)
    const probe = await halfOpen.acquire()
    expect(halfOpen.state).toBe('half_open')
    await trip(open)
    forced.forceOpen()
    disabled.disable()
    expect(closed.state).toBe('closed')
    expect(
      registry
        .listOpen()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['f', 'h', 'o'])
    probe.success()
    expect(
      registry
        .listOpen()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['f', 'o'])
  })

  it('snapshots every breaker by name', async () => {
    const { registry } = setup()
    await registry.get('a').execute(ok)
    await trip(registry.get('b'))
    const snapshot = registry.snapshot()
    expect(Object.keys(snapshot).sort()).toEqual(['a', 'b'])
    expect(snapshot.a).toMatchObject({ name: 'a', state: 'closed', calls: 1, successes: 1 })
    expect(snapshot.b).toMatchObject({ name: 'b', state: 'open', retryAfterMs: 1_000 })
    expect(snapshot.a).toStrictEqual(registry.get('a').snapshot())
  })

  it('reports up while every circuit admits calls, degraded with the open names otherwise', async () => {
    const { registry, clock } = setup()
    expect(registry.health()).toStrictEqual({ status: 'up', open: [], circuits: {} })
    registry.get('a')
    registry.get('b').disable()
    expect(registry.health()).toMatchObject({ status: 'up', open: [] })
    await trip(registry.get('c'))
    registry.get('d').forceOpen()
    const health = registry.health()
    expect(health.status).toBe('degraded')
    expect([...health.open].sort()).toEqual(['c', 'd'])
    expect(Object.keys(health.circuits).sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(health.circuits.c?.state).toBe('open')
    // Past its deadline, c reads half_open (it admits a probe): only d still refuses calls.
    clock.advance(1_000)
    expect(registry.health()).toMatchObject({ status: 'degraded', open: ['d'] })
    expect(registry.health().circuits.c?.state).toBe('half_open')
    registry.get('d').reset()
    expect(registry.health()).toMatchObject({ status: 'up', open: [] })
  })

  it('recovers by itself once the open time has passed, with no call (readiness without traffic)', async () => {
    const { registry, clock } = setup()
    const halfOpen = vi.fn()
    registry.get('db').on('halfOpen', halfOpen)
    await trip(registry.get('db'))
    expect(registry.health()).toMatchObject({ status: 'degraded', open: ['db'] })
    clock.advance(999)
    expect(registry.health().status).toBe('degraded')
    expect(halfOpen).not.toHaveBeenCalled()
    clock.advance(1)
    const health = registry.health()
    expect(health).toMatchObject({ status: 'up', open: [] })
    expect(health.circuits.db).toMatchObject({ state: 'half_open', retryAfterMs: 0 })
    // The read moved it, and the event fired with it, exactly once.
    expect(halfOpen).toHaveBeenCalledTimes(1)
    registry.health()
    expect(halfOpen).toHaveBeenCalledTimes(1)
    expect(registry.get('db').activeCalls).toBe(0)
  })

  it('keeps a breaker named "__proto__" (or "constructor") in snapshot and health', () => {
    const { registry } = setup()
    registry.get('__proto__')
    registry.get('constructor')
    const snapshot = registry.snapshot()
    expect(Object.keys(snapshot).sort()).toEqual(['__proto__', 'constructor'])
    expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype)
    expect(Object.hasOwn(snapshot, '__proto__')).toBe(true)
    const parsed = JSON.parse(JSON.stringify(registry.health())).circuits
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value.name).toBe('__proto__')
  })

  it('keeps health JSON-safe', async () => {
    const { registry } = setup()
    await trip(registry.get('a'))
    const health = registry.health()
    expect(JSON.parse(JSON.stringify(health))).toStrictEqual(health)
  })
})

describe('stateChange forwarding', () => {
  it('forwards transitions of breakers created before and after subscribing', async () => {
    const { registry } = setup()
    const before = registry.get('before')
    const { seen } = record(registry, 'stateChange')
    const after = registry.get('after')
    await trip(before)
    await trip(after)
    expect(seen).toEqual([
      { name: 'before', from: 'closed', to: 'open' },
      { name: 'after', from: 'closed', to: 'open' },
    ])
  })

  it('forwards every transition of the cycle, in order', async () => {
    const { registry, clock } = setup()
    const { seen } = record(registry, 'stateChange')
    const db = registry.get('db')
    await trip(db)
    clock.advance(1_000)
    await db.execute(ok)
    db.forceOpen()
    db.disable()
    db.reset()
    expect(seen.map((e) => `${e.from}->${e.to}`)).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->closed',
      'closed->forced_open',
      'forced_open->disabled',
      'disabled->closed',
    ])
  })

  it('delivers to several listeners, and unsubscribing stops only that one', async () => {
    const { registry } = setup()
    const first = record(registry, 'stateChange')
    const second = record(registry, 'stateChange')
    await trip(registry.get('a'))
    first.off()
    first.off()
    await trip(registry.get('b'))
    expect(first.seen.map((e) => e.name)).toEqual(['a'])
    expect(second.seen.map((e) => e.name)).toEqual(['a', 'b'])
  })

  it('forwards each transition once after unsubscribing and subscribing again', async () => {
    const { registry } = setup()
    const existing = registry.get('existing')
    record(registry, 'stateChange').off()
    const { seen } = record(registry, 'stateChange')
    await trip(existing)
    await trip(registry.get('later'))
    expect(seen.map((e) => e.name)).toEqual(['existing', 'later'])
  })

  it('stops forwarding from a deleted breaker', async () => {
    const { registry } = setup()
    const { seen } = record(registry, 'stateChange')
    const gone = registry.get('gone')
    registry.delete('gone')
    await trip(gone)
    expect(seen).toEqual([])
  })
})

describe('maxBreakers', () => {
  it('evicts the least recently used idle closed breaker', () => {
    const { registry } = setup({ maxBreakers: 2 })
    const evicted = record(registry, 'evict')
    registry.get('a')
    registry.get('b')
    registry.get('a')
    registry.get('c')
    expect(evicted.seen).toEqual([{ name: 'b' }])
    expect(registry.has('b')).toBe(false)
    expect(registry.list().map((b) => b.name)).toEqual(['a', 'c'])
    expect(registry.size).toBe(2)
  })

  it('evicts one breaker per new name, oldest first', () => {
    const { registry } = setup({ maxBreakers: 3 })
    const evicted = record(registry, 'evict')
    for (const name of ['a', 'b', 'c', 'd', 'e']) registry.get(name)
    expect(evicted.seen.map((e) => e.name)).toEqual(['a', 'b'])
    expect(registry.list().map((b) => b.name)).toEqual(['c', 'd', 'e'])
  })

  type Pin = (b: CircuitBreaker, clock: FakeClock) => Promise<unknown>

  // Each pin gets its own breaker options: errorThreshold 1 trips at once, 2 keeps one failure.
  const pins: Array<[string, BreakerDefaults, Pin]> = [
    ['open', {}, (b) => trip(b)],
    [
      'half-open',
      {},
      async (b, clock) => {
        await trip(b)
        clock.advance(1_000)
        await b.acquire()
        expect(b.state).toBe('half_open')
      },
    ],
    ['forced open', {}, async (b) => b.forceOpen()],
    ['busy (a call in flight)', {}, (b) => b.acquire()],
    [
      'holding a counted failure',
      { errorThreshold: 2 },
      async (b) => {
        await b.execute(fail).catch(() => undefined)
        expect(b.state).toBe('closed')
        expect(b.snapshot().failures).toBe(1)
      },
    ],
  ]

  it.each(pins)('never evicts a breaker that is %s', async (_, options, pin) => {
    const { registry, clock } = setup({ maxBreakers: 2 })
    const evicted = record(registry, 'evict')
    const pinned = registry.get('pinned', options)
    await pin(pinned, clock)
    registry.get('idle')
    registry.get('new')
    expect(evicted.seen).toEqual([{ name: 'idle' }])
    expect(registry.get('pinned')).toBe(pinned)
  })

  it('evicts a breaker again once its in-flight call settled', async () => {
    const { registry } = setup({ maxBreakers: 1 })
    const busy = registry.get('busy')
    const permit = await busy.acquire()
    expect(registry.get('other').name).toBe(OVERFLOW_BREAKER_NAME)
    permit.success()
    expect(registry.get('other').name).toBe('other')
    expect(registry.has('busy')).toBe(false)
  })

  it('shares one overflow breaker when nothing can be evicted', async () => {
    const { registry } = setup({ maxBreakers: 2 })
    const overflowed = record(registry, 'overflow')
    const evicted = record(registry, 'evict')
    const a = registry.get('a')
    const b = registry.get('b')
    await trip(a)
    await b.acquire()
    const c = registry.get('c')
    const d = registry.get('d')
    expect(c.name).toBe(OVERFLOW_BREAKER_NAME)
    expect(d).toBe(c)
    expect(c).not.toBe(a)
    expect(c).not.toBe(b)
    expect(overflowed.seen).toEqual([
      { name: 'c', maxBreakers: 2 },
      { name: 'd', maxBreakers: 2 },
    ])
    expect(evicted.seen).toEqual([])
    expect(registry.has('c')).toBe(false)
    expect(registry.size).toBe(2)
    // The overflow breaker is built from the defaults.
    expect(c.settings.errorThreshold).toBe(1)
  })

  it('gives a name its own breaker again once room is made', async () => {
    const { registry } = setup({ maxBreakers: 1 })
    await trip(registry.get('a'))
    expect(registry.get('b').name).toBe(OVERFLOW_BREAKER_NAME)
    registry.delete('a')
    expect(registry.get('b').name).toBe('b')
  })

  it('forwards the overflow breaker’s transitions', async () => {
    const { registry } = setup({ maxBreakers: 1 })
    const { seen } = record(registry, 'stateChange')
    await trip(registry.get('a'))
    await trip(registry.get('b'))
    expect(seen.map((e) => e.name)).toEqual(['a', OVERFLOW_BREAKER_NAME])
  })

  it('reports an open overflow breaker in health', async () => {
    const { registry } = setup({ maxBreakers: 1 })
    await trip(registry.get('a'))
    await trip(registry.get('b'))
    const health = registry.health()
    expect(health.status).toBe('degraded')
    expect([...health.open].sort()).toEqual(['a', OVERFLOW_BREAKER_NAME].sort())
  })

  it('stays bounded under many distinct names', () => {
    const { registry } = setup({ maxBreakers: 50 })
    for (let i = 0; i < 10_000; i++) registry.get(`GET /orders/${i}`)
    expect(registry.size).toBe(50)
    expect(registry.list()[0]?.name).toBe('GET /orders/9950')
  })
})

describe('defaults', () => {
  it('are not shared by reference between breakers', () => {
    const defaults: BreakerDefaults = { errorThreshold: 3, ignoreErrors: [TypeError] }
    const { registry } = setup({ defaults })
    const a = registry.get('a')
    const b = registry.get('b', { errorThreshold: 4 })
    expect(a.settings.errorThreshold).toBe(3)
    expect(b.settings.errorThreshold).toBe(4)
    expect(defaults).toEqual({ errorThreshold: 3, ignoreErrors: [TypeError] })
  })

  it('apply to behaviour, not only to settings', async () => {
    const { registry } = setup({ defaults: { errorThreshold: 2 } })
    const db = registry.get('db')
    await db.execute(fail).catch(() => undefined)
    expect(db.state).toBe('closed')
    await db.execute(fail).catch(() => undefined)
    expect(db.state).toBe('open')
  })
})

describe('registry-owned options', () => {
  // The types forbid them; these calls stand for JavaScript callers.
  const loose = (options: object) => options as BreakerDefaults

  it.each([
    ['name', 'x'],
    ['store', new MemoryStore()],
    ['clock', new FakeClock(0)],
  ])('rejects %s in defaults instead of replacing it silently', (key, value) => {
    expect(() => new CircuitBreakerRegistry({ defaults: loose({ [key]: value }) })).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: `defaults.${key}` }),
    )
  })

  it.each([
    ['name', 'other'],
    ['store', new MemoryStore()],
    ['clock', new FakeClock(0)],
  ])('rejects %s in get() and validate() options', (key, value) => {
    const { registry } = setup()
    expect(() => registry.get('db', loose({ [key]: value }))).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: key }),
    )
    expect(() => registry.validate(loose({ [key]: value }))).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: key }),
    )
    expect(registry.has('db')).toBe(false)
  })
})
