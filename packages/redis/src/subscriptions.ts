import type { SharedState, Unsubscribe } from '@tripswitch/core'
import { type BreakerKeys, keysOf } from './keys.ts'

interface Subscription {
  readonly keys: BreakerKeys
  readonly listeners: Set<(state: SharedState) => void>
  readonly onErrors: Set<(error: unknown) => void>
  /** Generation last pushed (pushes are deduplicated by generation). */
  lastGeneration: number
  /** performance.now() of the last state heard from Redis. */
  heardAt: number
}

/** The breakers listening in this process, by name and by key id (for published messages). */
export class Subscriptions {
  private readonly byName = new Map<string, Subscription>()
  private readonly namesById = new Map<string, string>()

  constructor(private readonly prefix: string) {}

  add(
    name: string,
    listener: (state: SharedState) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    let sub = this.byName.get(name)
    if (sub === undefined) {
      const keys = keysOf(this.prefix, name)
      sub = { keys, listeners: new Set(), onErrors: new Set(), lastGeneration: -1, heardAt: 0 }
      this.byName.set(name, sub)
      this.namesById.set(keys.id, name)
    }
    const s = sub
    s.listeners.add(listener)
    if (onError) s.onErrors.add(onError)
    return () => {
      s.listeners.delete(listener)
      if (onError) s.onErrors.delete(onError)
      if (s.listeners.size === 0 && this.byName.get(name) === s) {
        this.byName.delete(name)
        this.namesById.delete(s.keys.id)
      }
    }
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

  /** The state key of a subscribed name. */
  stateKey(name: string): string {
    return this.byName.get(name)?.keys.state ?? keysOf(this.prefix, name).state
  }

  /** The subscribed name whose key id is `id`. */
  nameOf(id: string): string | undefined {
    return this.namesById.get(id)
  }

  /** Pushes `state` to the listeners of `name` if newer than the last push, or always with `resync`. */
  push(name: string, state: SharedState, resync = false): void {
    const sub = this.byName.get(name)
    if (sub === undefined) return
    sub.heardAt = performance.now()
    if (!resync && state.generation <= sub.lastGeneration) return
    sub.lastGeneration = state.generation
    const pushed = resync ? { ...state, resync: true } : state
    for (const listener of [...sub.listeners]) listener(pushed)
  }

  /** Tells every subscriber of a store failure. */
  failed(error: unknown): void {
    for (const sub of this.byName.values()) for (const onError of [...sub.onErrors]) onError(error)
  }

  /** Tells the subscribers of `name` of a failure that concerns it alone. */
  failedOne(name: string, error: unknown): void {
    const sub = this.byName.get(name)
    if (sub !== undefined) for (const onError of [...sub.onErrors]) onError(error)
  }

  clear(): void {
    this.byName.clear()
    this.namesById.clear()
  }
}
