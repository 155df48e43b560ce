import { type Clock, systemClock } from './clock.ts'
import type { Unsubscribe } from './events.ts'
import type { CircuitState } from './state.ts'
import type {
  OutcomeBatch,
  ProbeGrant,
  ProbeRelease,
  ProbeReleaseResult,
  ProbeRequest,
  RecordResult,
  SharedState,
  StateStore,
  TransitionRequest,
  WindowSpec,
} from './store.ts'
import { clockObject, objectWith, rejectUnknownKeys, withoutUndefined } from './validate.ts'
import type { WindowTotals } from './window.ts'

interface Bucket {
  successes: number
  failures: number
  slowCalls: number
}

interface Entry {
  state: CircuitState
  generation: number
  /** Store-clock time from which a probe is allowed (open only). */
  openUntil: number
  openings: number
  /** Probe lease token -> expiry (store clock). */
  leases: Map<string, number>
  probeSuccesses: number
  probeFailures: number
  probeSlowCalls: number
  buckets: Map<number, Bucket>
  consecutiveFailures: number
  netFailures: number
}

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The store's clock, which decides open deadlines and lease expiry. @default systemClock */
  clock?: Clock
}

const MEMORY_STORE_KEYS: ReadonlySet<string> = new Set(['clock'])

/**
 * The reference {@link StateStore}: shares state between breakers of the same name in one
 * process, synchronously. No timers: deadlines and leases are compared with the clock when
 * asked. Every method here is the in-memory twin of one Redis script.
 */
export class MemoryStore implements StateStore {
  private readonly clock: Clock
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Map<string, Set<(state: SharedState) => void>>()

  /** @throws {InvalidOptionsError} when `options` is not an object, has an unknown key or a bad clock. */
  constructor(options: MemoryStoreOptions = {}) {
    objectWith([], 'an options object')(options, 'options')
    const given = withoutUndefined(options)
    rejectUnknownKeys(given, MEMORY_STORE_KEYS)
    if (given.clock !== undefined) clockObject(given.clock, 'clock')
    this.clock = given.clock ?? systemClock
  }

  /** @inheritdoc */
  read(name: string): SharedState {
    return this.view(this.entries.get(name))
  }

  /** @inheritdoc */
  subscribe(name: string, listener: (state: SharedState) => void): Unsubscribe {
    const set = this.listeners.get(name) ?? new Set()
    this.listeners.set(name, set)
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.listeners.get(name) === set) this.listeners.delete(name)
    }
  }

  /** @inheritdoc */
  transition(name: string, request: TransitionRequest): SharedState {
    const entry = this.entry(name)
    if (request.fromGeneration !== null && request.fromGeneration !== entry.generation) {
      return this.view(entry)
    }
    // Shared deadlines are the store's: half-open only once its own open deadline has passed.
    if (
      request.to === 'half_open' &&
      !(entry.state === 'open' && this.clock.now() >= entry.openUntil)
    )
      return this.view(entry)
    entry.state = request.to
    entry.generation++
    entry.openUntil = request.to === 'open' ? this.clock.now() + request.openForMs : 0
    entry.openings = request.openings
    entry.leases.clear()
    clearProbes(entry)
    if (request.to === 'closed') this.clearWindow(entry)
    return this.publish(name, entry)
  }

  /** @inheritdoc */
  acquireProbe(name: string, request: ProbeRequest): ProbeGrant {
    const entry = this.entry(name)
    const now = this.clock.now()
    if (entry.state === 'open' && now >= entry.openUntil) {
      entry.state = 'half_open'
      entry.generation++
      entry.openUntil = 0
      entry.leases.clear()
      clearProbes(entry)
      this.publish(name, entry)
    }
    if (entry.state !== 'half_open') return { granted: false, state: this.view(entry) }
    for (const [token, expiry] of entry.leases) if (expiry <= now) entry.leases.delete(token)
    const granted = entry.leases.size < request.maxProbes
    if (granted) entry.leases.set(request.token, now + request.leaseMs)
    return { granted, state: this.view(entry) }
  }

  /** @inheritdoc */
  releaseProbe(name: string, release: ProbeRelease): ProbeReleaseResult {
    const entry = this.entry(name)
    const held =
      entry.state === 'half_open' &&
      entry.generation === release.generation &&
      entry.leases.delete(release.token)
    if (held && release.outcome === 'success') entry.probeSuccesses++
    if (held && release.outcome === 'failure') entry.probeFailures++
    if (held && release.slow === true) entry.probeSlowCalls++
    return {
      held,
      successes: entry.probeSuccesses,
      failures: entry.probeFailures,
      slowCalls: entry.probeSlowCalls,
      state: this.view(entry),
    }
  }

  /** @inheritdoc */
  record(name: string, batch: OutcomeBatch, window: WindowSpec): RecordResult {
    const entry = this.entry(name)
    const counted = entry.state === 'closed' && entry.generation === batch.generation
    const index = Math.floor(this.clock.now() / window.bucketMs)
    if (counted) addBatch(entry, batch, index)
    for (const key of entry.buckets.keys())
      if (key <= index - window.buckets) entry.buckets.delete(key)
    return { counted, totals: totalsOf(entry), state: this.view(entry) }
  }

  /**
   * Sets the state of `name` to `shared` (a remote store keeps its local fallback in step with
   * what it last heard). A new generation drops leases, probe successes and, unless closed
   * before, the window.
   */
  seed(name: string, shared: SharedState): void {
    const entry = this.entry(name)
    if (entry.generation === shared.generation && entry.state === shared.state) return
    entry.state = shared.state
    entry.generation = shared.generation
    entry.openUntil = shared.state === 'open' ? this.clock.now() + shared.retryAfterMs : 0
    entry.openings = shared.openings
    entry.leases.clear()
    clearProbes(entry)
    this.clearWindow(entry)
  }

  /** @inheritdoc */
  delete(name: string): void {
    this.entries.delete(name)
  }

  /** Forgets every circuit and listener. */
  close(): void {
    this.entries.clear()
    this.listeners.clear()
  }

  private entry(name: string): Entry {
    let entry = this.entries.get(name)
    if (entry === undefined) {
      entry = {
        state: 'closed',
        generation: 0,
        openUntil: 0,
        openings: 0,
        leases: new Map(),
        probeSuccesses: 0,
        probeFailures: 0,
        probeSlowCalls: 0,
        buckets: new Map(),
        consecutiveFailures: 0,
        netFailures: 0,
      }
      this.entries.set(name, entry)
    }
    return entry
  }

  private clearWindow(entry: Entry): void {
    entry.buckets.clear()
    entry.consecutiveFailures = 0
    entry.netFailures = 0
  }

  private view(entry: Entry | undefined): SharedState {
    if (entry === undefined) return { state: 'closed', generation: 0, retryAfterMs: 0, openings: 0 }
    const retryAfterMs =
      entry.state === 'open' ? Math.max(0, entry.openUntil - this.clock.now()) : 0
    return {
      state: entry.state,
      generation: entry.generation,
      retryAfterMs,
      openings: entry.openings,
    }
  }

  private publish(name: string, entry: Entry): SharedState {
    const state = this.view(entry)
    const set = this.listeners.get(name)
    if (set !== undefined) for (const listener of [...set]) listener(state)
    return state
  }
}

function clearProbes(entry: Entry): void {
  entry.probeSuccesses = 0
  entry.probeFailures = 0
  entry.probeSlowCalls = 0
}

function addBatch(entry: Entry, batch: OutcomeBatch, index: number): void {
  const bucket = entry.buckets.get(index) ?? { successes: 0, failures: 0, slowCalls: 0 }
  entry.buckets.set(index, bucket)
  bucket.successes += batch.successes
  bucket.failures += batch.failures
  bucket.slowCalls += batch.slowCalls
  entry.consecutiveFailures =
    batch.successes > 0 ? batch.trailingFailures : entry.consecutiveFailures + batch.failures
  entry.netFailures = Math.max(0, entry.netFailures + batch.failures - batch.successes)
}

function totalsOf(entry: Entry): WindowTotals {
  let successes = 0
  let failures = 0
  let slowCalls = 0
  for (const bucket of entry.buckets.values()) {
    successes += bucket.successes
    failures += bucket.failures
    slowCalls += bucket.slowCalls
  }
  return {
    calls: successes + failures,
    failures,
    successes,
    slowCalls,
    consecutiveFailures: entry.consecutiveFailures,
    netFailures: entry.netFailures,
  }
}
