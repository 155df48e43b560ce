import { InvalidOptionsError, type Unsubscribe } from '@tripswitch/core'

/** The events of a {@link RedisStore}, by name, with their payloads. */
export interface RedisStoreEvents {
  /**
   * Redis stopped answering (connection refused or lost, wrong password, timeouts, error replies
   * such as OOM): breakers now answer from the `onStoreUnavailable` fallback. Once per outage,
   * however many commands fail during it.
   */
  down: { readonly error: unknown }
  /**
   * Redis answers again (a write succeeded, so an out-of-memory Redis that still answers reads is
   * not "up"): breakers share state again. `downtimeMs` is the outage's length in ms.
   */
  up: { readonly downtimeMs: number }
  /**
   * A failure that concerns one breaker only, not the connection: the value in its key is not
   * one this store wrote ({@link MalformedReplyError}). Redis stays up for the other breakers.
   */
  error: { readonly name: string; readonly error: unknown }
}

const EVENTS: ReadonlySet<string> = new Set(['down', 'up', 'error'])

type Listeners = { [K in keyof RedisStoreEvents]: Set<(payload: RedisStoreEvents[K]) => void> }

/** A small typed emitter: a listener that throws does not stop the others (its error is rethrown later). */
export class StoreEmitter {
  private readonly listeners: Listeners = { down: new Set(), up: new Set(), error: new Set() }

  on<K extends keyof RedisStoreEvents>(
    event: K,
    listener: (payload: RedisStoreEvents[K]) => void,
  ): Unsubscribe {
    if (!EVENTS.has(event))
      throw new InvalidOptionsError('event', "'down', 'up' or 'error'", String(event).slice(0, 100))
    if (typeof listener !== 'function')
      throw new InvalidOptionsError('listener', 'a function', listener)
    const set = this.listeners[event] as Set<(payload: RedisStoreEvents[K]) => void>
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  emit<K extends keyof RedisStoreEvents>(event: K, payload: RedisStoreEvents[K]): void {
    const set = this.listeners[event] as Set<(payload: RedisStoreEvents[K]) => void>
    for (const listener of [...set]) {
      try {
        listener(payload)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  clear(): void {
    for (const set of Object.values(this.listeners)) set.clear()
  }
}
