import { CircuitBreaker } from './circuit-breaker.ts'
import type { Clock } from './clock.ts'
import { DEFAULTS } from './defaults.ts'
import { InvalidOptionsError, isInvalidOptionsError } from './errors.ts'
import { type CircuitBreakerEvents, Emitter, type Listener, type Unsubscribe } from './events.ts'
import type { CircuitBreakerOptions, ResolvedOptions } from './options.ts'
import { resolveOptions } from './resolve-options.ts'
import type { CircuitSnapshot } from './snapshot.ts'
import type { StateStore } from './store.ts'
import {
  nonEmptyString,
  objectWith,
  ownMembers,
  positiveInteger,
  rejectUnknownKeys,
  withoutUndefined,
} from './validate.ts'

/** Options every breaker of a registry starts from; `name`, `store` and `clock` belong to the registry. */
export type BreakerDefaults = Omit<CircuitBreakerOptions, 'name' | 'store' | 'clock'>

/** Options of a {@link CircuitBreakerRegistry}. */
export interface CircuitBreakerRegistryOptions {
  /** Options applied to every breaker; per-breaker options passed to `get` win. @default {} */
  defaults?: BreakerDefaults
  /** Store shared by every breaker of the registry. @default none (local state) */
  store?: StateStore
  /** Clock of every breaker of the registry. @default systemClock */
  clock?: Clock
  /**
   * Most breakers held at once. Past it, the least recently used idle closed breaker is evicted
   * (never an open, half-open or busy one, nor one that has counted failures); when none can
   * be, the new name shares one overflow breaker and `overflow` is emitted. @default 1_000
   */
  maxBreakers?: number
}

/** Events of a {@link CircuitBreakerRegistry}. */
export interface RegistryEvents {
  /** A transition of any breaker in the registry. */
  stateChange: CircuitBreakerEvents['stateChange']
  /** `name` could not get its own breaker (the registry is full) and uses the overflow breaker. */
  overflow: { name: string; maxBreakers: number }
  /** An idle closed breaker was dropped to make room. */
  evict: { name: string }
}

/** The answer of {@link CircuitBreakerRegistry.health}: a readiness report. */
export interface RegistryHealth {
  /**
   * `up` when no circuit refuses calls; `degraded` while one is open with time left or forced
   * open. A half-open circuit admits probes, so it is `up`: a readiness check built on this
   * recovers by itself once the open time has passed, with no traffic needed.
   */
  readonly status: 'up' | 'degraded'
  /** Names of the circuits that refuse calls (open with time left, or forced open). */
  readonly open: string[]
  /** Snapshot of every circuit, by name. */
  readonly circuits: Record<string, CircuitSnapshot>
}

/** Name of the breaker shared by names that find the registry full. */
export const OVERFLOW_BREAKER_NAME = 'tripswitch:overflow'

const REGISTRY_KEYS = new Set(['defaults', 'store', 'clock', 'maxBreakers'])
const NOT_ADMITTING = new Set(['open', 'half_open', 'forced_open'])
/** States in which a circuit refuses every ordinary call (readiness reports them). */
const REFUSING = new Set(['open', 'forced_open'])

/** Named breakers, created on first use, bounded by `maxBreakers`. */
export class CircuitBreakerRegistry {
  /** Most breakers held at once. */
  readonly maxBreakers: number
  private readonly defaults: CircuitBreakerOptions
  // A Map iterates in insertion order; re-inserting on use keeps it least-recently-used first.
  private readonly breakers = new Map<string, CircuitBreaker>()
  private overflowBreaker: CircuitBreaker | null = null
  /** The most recently used breaker: the last in `breakers`, which needs no reordering. */
  private newest: CircuitBreaker | null = null
  private readonly emitter = new Emitter<RegistryEvents>()
  // Forwarding starts with the first stateChange listener and then stays on (re-subscribing
  // must not attach twice); a dropped breaker is detached so it no longer speaks for the registry.
  private forwarding = false
  private readonly detach = new Map<CircuitBreaker, Unsubscribe>()
  private readonly forward = (event: CircuitBreakerEvents['stateChange']) =>
    this.emitter.emit('stateChange', event)

  /** @throws {InvalidOptionsError} when an option (or a default) is invalid. */
  constructor(options: CircuitBreakerRegistryOptions = {}) {
    objectWith([], 'an options object')(options, 'options')
    const given = withoutUndefined(options)
    rejectUnknownKeys(given, REGISTRY_KEYS)
    if (given.maxBreakers !== undefined) positiveInteger(given.maxBreakers, 'maxBreakers')
    this.maxBreakers = given.maxBreakers ?? DEFAULTS.maxBreakers
    if (given.defaults !== undefined) rejectRegistryOwned(given.defaults, 'defaults.')
    // store and clock are registry options: an error names them, not `defaults.*`.
    resolveOptions({ store: given.store, clock: given.clock })
    const defaults = given.defaults === undefined ? {} : ownMembers(given.defaults)
    this.defaults = { ...defaults, store: given.store, clock: given.clock }
    prefixErrors('defaults.', () => resolveOptions(this.defaults))
  }

  /**
   * Validates `options` over the registry's defaults without creating a breaker, so that an
   * adapter can fail at start-up rather than at the first request.
   * @throws {InvalidOptionsError} naming the option, the rule and the value.
   */
  validate(options?: BreakerDefaults): ResolvedOptions {
    const own = options === undefined ? undefined : this.perBreaker(options)
    return resolveOptions({ ...this.defaults, ...own })
  }

  /** Per-breaker options, checked and copied from their own members. */
  private perBreaker(options: BreakerDefaults): Partial<BreakerDefaults> {
    rejectRegistryOwned(options)
    return ownMembers(options)
  }

  /**
   * The breaker called `name`, created from the defaults and `options` on first use. `options`
   * apply only when the breaker is created; an existing breaker keeps its own.
   */
  get(name: string, options?: BreakerDefaults): CircuitBreaker {
    // Only valid names are ever stored, so a hit needs no check: the name is checked on a miss.
    const existing = this.breakers.get(name)
    if (existing !== undefined) {
      // Most requests ask for the breaker they asked for last: it is already the newest.
      if (existing !== this.newest) {
        this.breakers.delete(name)
        this.breakers.set(name, existing)
        this.newest = existing
      }
      return existing
    }
    nonEmptyString(name, 'name')
    const own = options === undefined ? undefined : this.perBreaker(options)
    if (this.breakers.size >= this.maxBreakers && !this.evictOne()) return this.overflow(name)
    const breaker = new CircuitBreaker({ ...this.defaults, ...own, name })
    this.breakers.set(name, breaker)
    this.newest = breaker
    this.attach(breaker)
    return breaker
  }

  /** True when a breaker called `name` is held. */
  has(name: string): boolean {
    return this.breakers.has(name)
  }

  /** Drops the breaker called `name`; returns whether there was one. */
  delete(name: string): boolean {
    const breaker = this.breakers.get(name)
    if (breaker === undefined) return false
    breaker.dispose()
    if (breaker === this.newest) this.newest = null
    this.detach.get(breaker)?.()
    this.detach.delete(breaker)
    return this.breakers.delete(name)
  }

  /** Number of breakers held (the overflow breaker excluded). */
  get size(): number {
    return this.breakers.size
  }

  /** Every breaker held, least recently used first. */
  list(): CircuitBreaker[] {
    return [...this.breakers.values()]
  }

  /** The breakers that refuse ordinary calls (open, half-open, forced open), overflow included. */
  listOpen(): CircuitBreaker[] {
    return this.withOverflow().filter((b) => NOT_ADMITTING.has(b.state))
  }

  /**
   * Snapshot of every breaker, by name (the overflow breaker's too, once it exists). Every name
   * is an own key, `"__proto__"` included (defined, not assigned, so it never sets a prototype).
   */
  snapshot(): Record<string, CircuitSnapshot> {
    const out: Record<string, CircuitSnapshot> = {}
    for (const breaker of this.withOverflow()) ownEntry(out, breaker.name, breaker.snapshot())
    return out
  }

  /**
   * A readiness report, read without a call: `degraded` while any circuit refuses calls (open
   * with time left, or forced open). Circuits past their deadline read half-open here.
   */
  health(): RegistryHealth {
    const circuits = this.snapshot()
    const open: string[] = []
    for (const [name, circuit] of Object.entries(circuits))
      if (REFUSING.has(circuit.state)) open.push(name)
    return { status: open.length === 0 ? 'up' : 'degraded', open, circuits }
  }

  /** Subscribes to a registry event; returns the unsubscribe function. */
  on<K extends keyof RegistryEvents>(event: K, listener: Listener<RegistryEvents[K]>): Unsubscribe {
    if (event === 'stateChange' && !this.forwarding) {
      this.forwarding = true
      for (const breaker of this.withOverflow()) this.attach(breaker)
    }
    return this.emitter.on(event, listener)
  }

  private attach(breaker: CircuitBreaker): void {
    if (this.forwarding) this.detach.set(breaker, breaker.on('stateChange', this.forward))
  }

  private withOverflow(): CircuitBreaker[] {
    const all = this.list()
    if (this.overflowBreaker !== null) all.push(this.overflowBreaker)
    return all
  }

  private evictOne(): boolean {
    for (const [name, breaker] of this.breakers) {
      if (!breaker.idle) continue
      this.delete(name)
      this.emitter.emit('evict', { name })
      return true
    }
    return false
  }

  private overflow(name: string): CircuitBreaker {
    if (this.overflowBreaker === null) {
      this.overflowBreaker = new CircuitBreaker({ ...this.defaults, name: OVERFLOW_BREAKER_NAME })
      this.attach(this.overflowBreaker)
    }
    this.emitter.emit('overflow', { name, maxBreakers: this.maxBreakers })
    return this.overflowBreaker
  }
}

// The types already forbid these; the check stops JavaScript callers from having a per-breaker
// name, store or clock silently replaced by the registry's.
const REGISTRY_OWNED = ['name', 'store', 'clock'] as const

function rejectRegistryOwned(options: object, prefix = ''): void {
  objectWith([], 'an options object')(options, prefix === '' ? 'options' : prefix.slice(0, -1))
  for (const key of REGISTRY_OWNED) {
    const value = Object.hasOwn(options, key)
      ? (options as Record<string, unknown>)[key]
      : undefined
    if (value !== undefined)
      throw new InvalidOptionsError(
        `${prefix}${key}`,
        `absent: ${key} belongs to the registry (give it to new CircuitBreakerRegistry(), or get(name))`,
        value,
      )
  }
}

/** Sets `record[key]` as an own data property, even for keys such as `"__proto__"`. */
function ownEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

function prefixErrors(prefix: string, run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (isInvalidOptionsError(error))
      throw new InvalidOptionsError(`${prefix}${error.option}`, error.rule, error.value)
    throw error
  }
}
