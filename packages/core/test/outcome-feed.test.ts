import {
  CircuitBreaker,
  MemoryStore,
  type OutcomeFeed,
  type RecordResult,
  type SharedState,
  type StateStore,
} from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'

/** A MemoryStore that aggregates outcomes like a remote store, flushed by hand. */
class TrackingStore extends MemoryStore implements StateStore {
  readonly feeds: Array<{ name: string; feed: OutcomeFeed }> = []
  urgent = 0
  track(name: string, feed: OutcomeFeed) {
    const entry = { name, feed }
    this.feeds.push(entry)
    return {
      flush: () => {
        this.urgent++
      },
      stop: () => {
        this.feeds.splice(this.feeds.indexOf(entry), 1)
      },
    }
  }
  flushAll(): RecordResult[] {
    const results: RecordResult[] = []
    for (const { name, feed } of this.feeds) {
      const batch = feed.take()
      if (batch === null) continue
      const result = this.record(name, batch, feed.window)
      results.push(result)
      feed.accept(result)
    }
    return results
  }
}

const fail = () => Promise.reject(new Error('x'))
const ok = () => Promise.resolve(1)

describe('outcome sharing (StateStore.track)', () => {
  it('hands batches to the store and trips every breaker on the shared totals', async () => {
    const clock = new FakeClock(1_000)
    const store = new TrackingStore({ clock })
    const options = { name: 's', strategy: 'window' as const, errorThreshold: 4, store, clock }
    const a = new CircuitBreaker(options)
    const b = new CircuitBreaker(options)
    for (const breaker of [a, b]) {
      await breaker.execute(ok)
      await breaker.execute(fail).catch(() => {})
      await breaker.execute(fail).catch(() => {})
    }
    const results = store.flushAll()
    expect(results.map((r) => r.totals.failures)).toEqual([2, 4])
    expect(results[0]!.totals.consecutiveFailures).toBe(2)
    expect([a.state, b.state]).toEqual(['open', 'open'])
    expect(store.read('s').generation).toBe(1)
  })

  it('takes nothing when nothing happened, and drops counts of an older generation', async () => {
    const clock = new FakeClock(1_000)
    const store = new TrackingStore({ clock })
    const breaker = new CircuitBreaker({ name: 'g', errorThreshold: 2, store, clock })
    expect(store.feeds[0]!.feed.take()).toBeNull()
    await breaker.execute(fail).catch(() => {})
    breaker.reset()
    expect(store.feeds[0]!.feed.take()).toBeNull()
    await breaker.execute(ok)
    expect(store.feeds[0]!.feed.take()).toMatchObject({ generation: 1, successes: 1, failures: 0 })
  })

  it('asks for a flush once when shared plus local counts would trip', async () => {
    const clock = new FakeClock(1_000)
    const store = new TrackingStore({ clock })
    const options = { name: 'u', strategy: 'window' as const, errorThreshold: 3, store, clock }
    const a = new CircuitBreaker(options)
    const b = new CircuitBreaker(options)
    await a.execute(fail).catch(() => {})
    await a.execute(fail).catch(() => {})
    await b.execute(ok)
    store.flushAll() // b learns the shared window: 2 failures
    expect(store.urgent).toBe(0)
    await b.execute(fail).catch(() => {}) // 2 shared + 1 local would trip
    await b.execute(fail).catch(() => {})
    expect(store.urgent).toBe(1)
    expect(b.state).toBe('closed')
    store.flushAll()
    expect([a.state, b.state]).toEqual(['open', 'open'])
  })

  it('stops tracking on dispose', () => {
    const store = new TrackingStore({ clock: new FakeClock() })
    const breaker = new CircuitBreaker({ name: 'd', store })
    expect(store.feeds).toHaveLength(1)
    breaker.dispose()
    expect(store.feeds).toHaveLength(0)
  })

  it('takes a resync state whatever its generation, and reports store errors', async () => {
    const clock = new FakeClock(1_000)
    const pushes: Array<(s: SharedState) => void> = []
    const store = new MemoryStore({ clock })
    const failing: StateStore = {
      ...bind(store),
      subscribe: (_name, listener, onError) => {
        pushes.push(listener)
        setTimeout(() => onError?.(new Error('redis down')), 0)
        return () => {}
      },
      transition: () => Promise.reject(new Error('redis down')),
    }
    const breaker = new CircuitBreaker({ name: 'r', errorThreshold: 1, store: failing, clock })
    const errors: unknown[] = []
    breaker.on('storeError', ({ error }) => errors.push(error))
    await breaker.execute(fail).catch(() => {})
    expect(breaker.state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(errors).toHaveLength(2)
    pushes[0]!({ state: 'closed', generation: 0, retryAfterMs: 0, openings: 0 })
    expect(breaker.state).toBe('open')
    pushes[0]!({ state: 'closed', generation: 0, retryAfterMs: 0, openings: 0, resync: true })
    expect(breaker.state).toBe('closed')
  })
})

function bind(store: MemoryStore): StateStore {
  return {
    read: (n) => store.read(n),
    subscribe: (n, l) => store.subscribe(n, l),
    transition: (n, r) => store.transition(n, r),
    acquireProbe: (n, r) => store.acquireProbe(n, r),
    releaseProbe: (n, r) => store.releaseProbe(n, r),
    record: (n, b, w) => store.record(n, b, w),
    delete: (n) => store.delete(n),
  }
}
