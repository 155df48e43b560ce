import type { CircuitState, ProbeGrant, SharedState, Unsubscribe } from '@tripswitch/core'
import { type BreakerKeys, keysOf } from './keys.ts'

/** A half-open probe request Redis refused, reused until it expires or the generation moves. */
export interface Denial {
  readonly grant: ProbeGrant
  readonly until: number
  /** Test time offset when refused: time travel ends the denial too. */
  readonly offset: number
}

/**
 * Everything the store keeps for one breaker name, and only while a breaker listens: it goes
 * with the last listener, so memory follows the breakers alive, not every name ever seen.
 */
export interface Subscription {
  readonly keys: BreakerKeys
  readonly listeners: Set<(state: SharedState) => void>
  /** Failure listeners, with the number of the last outage each was told of (once per outage). */
  readonly onErrors: Map<(error: unknown) => void, number>
  /** Generation and state last pushed (pushes are deduplicated). */
  lastGeneration: number
  lastState: CircuitState | null
  /** performance.now() of the last state heard from Redis. */
  heardAt: number
  /** Generation last heard from Redis; -1 before the first answer. */
  heardGeneration: number
  /** Answered by the fallback since Redis last answered for it: its local moves were made alone. */
  dirty: boolean
  /** Its key held a foreign value at the last look: reported once, until a valid state is heard. */
  malformed: boolean
  /**
   * A refused probe request: while half_open, an instance asks Redis at most once per
   * `syncInterval` (±15 %), so Redis load during recovery is O(instances), not O(requests).
   */
  denial: Denial | undefined
}

/** The breakers listening in this process, by name and by key id (for published messages). */
export class Subscriptions {
  private readonly byName = new Map<string, Subscription>()
  private readonly namesById = new Map<string, string>()

  constructor(
    private readonly prefix: string,
    /** Called when the last listener of a name goes: the store forgets the name. */
    private readonly onForget: (name: string) => void,
  ) {}

  add(
    name: string,
    listener: (state: SharedState) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    let sub = this.byName.get(name)
    if (sub === undefined) {
      const keys = keysOf(this.prefix, name)
      sub = {
        keys,
        listeners: new Set(),
        onErrors: new Map(),
        lastGeneration: -1,
        lastState: null,
        heardAt: 0,
        heardGeneration: -1,
        dirty: false,
        malformed: false,
        denial: undefined,
      }
      this.byName.set(name, sub)
      this.namesById.set(keys.id, name)
    }
    const s = sub
    // A function object per subscription, so one breaker subscribing twice is told twice.
    const wrapped = listener.bind(undefined)
    const onFailure = onError?.bind(undefined)
    s.listeners.add(wrapped)
    if (onFailure) s.onErrors.set(onFailure, 0)
    return () => {
      s.listeners.delete(wrapped)
      if (onFailure) s.onErrors.delete(onFailure)
      if (s.listeners.size === 0 && this.byName.get(name) === s) {
        this.byName.delete(name)
        this.namesById.delete(s.keys.id)
        this.onForget(name)
      }
    }
  }

  /** The record of a subscribed name. */
  get(name: string): Subscription | undefined {
    return this.byName.get(name)
  }

  /** Names with listeners. */
  names(): string[] {
    return [...this.byName.keys()]
  }

  /** Names not heard from Redis for `ms` (a flush reply or a message counts): the poll's work. */
  unheardFor(ms: number): string[] {
    const since = performance.now() - ms
    const names: string[] = []
    for (const [name, sub] of this.byName) if (sub.heardAt <= since) names.push(name)
    return names
  }

  /** The subscribed name whose key id is `id`. */
  nameOf(id: string): string | undefined {
    return this.namesById.get(id)
  }

  /**
   * Pushes `state` to the listeners of `name` unless it is the last one pushed or older; with
   * `force` (a fixed fallback state) always, marked `resync` so breakers take it.
   */
  push(name: string, state: SharedState, force = false): void {
    const sub = this.byName.get(name)
    if (sub === undefined) return
    const older =
      state.generation < sub.lastGeneration ||
      (state.generation === sub.lastGeneration && state.state === sub.lastState)
    if (!force && older) return
    sub.lastGeneration = state.generation
    sub.lastState = state.state
    const pushed = force ? { ...state, resync: true } : state
    for (const listener of [...sub.listeners]) listener(pushed)
  }

  /** Marks every subscribed name as answered by the fallback. */
  dirtyAll(): void {
    for (const sub of this.byName.values()) sub.dirty = true
  }

  /** Tells every failure listener not yet told of outage number `outage`. */
  failed(outage: number, error: unknown): void {
    for (const sub of this.byName.values())
      for (const onError of [...sub.onErrors.keys()]) tell(sub, onError, outage, error)
  }

  /** Tells the failure listeners of `name` not yet told of outage number `outage` (a new breaker). */
  failedNew(name: string, outage: number, error: unknown): void {
    const sub = this.byName.get(name)
    if (sub !== undefined)
      for (const onError of [...sub.onErrors.keys()]) tell(sub, onError, outage, error)
  }

  /** Tells the subscribers of `name` of a failure that concerns it alone. */
  failedOne(name: string, error: unknown): void {
    const sub = this.byName.get(name)
    if (sub !== undefined) for (const onError of [...sub.onErrors.keys()]) onError(error)
  }

  clear(): void {
    this.byName.clear()
    this.namesById.clear()
  }
}

/** Calls `onError` once per outage, if it is still subscribed. */
function tell(
  sub: Subscription,
  onError: (error: unknown) => void,
  outage: number,
  error: unknown,
): void {
  const told = sub.onErrors.get(onError)
  if (told === undefined || told >= outage) return
  sub.onErrors.set(onError, outage)
  onError(error)
}
