import type { Redis } from 'ioredis'
import type { ResolvedStoreOptions } from './options.ts'
import { SCRIPTS } from './scripts.ts'

/** A script call on a client the scripts were defined on (ioredis defineCommand: EVALSHA, EVAL on NOSCRIPT). */
export type ScriptCall = (...args: (string | number)[]) => Promise<unknown>

/** The script commands, by name. */
export interface Scripts {
  readonly tripswitchRead: ScriptCall
  readonly tripswitchTransition: ScriptCall
  readonly tripswitchAcquire: ScriptCall
  readonly tripswitchRelease: ScriptCall
  readonly tripswitchRecord: ScriptCall
}

/** The store did not get an answer in time. */
export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`)
    this.name = 'StoreTimeoutError'
  }
}

/**
 * Redis is not connected (the client is not ready): the store did not send anything. `cause` is
 * the client's last `'error'` event (a refused connection, a wrong password), if any.
 */
export class StoreUnavailableError extends Error {
  constructor(status: string, cause?: unknown) {
    const why = cause instanceof Error ? `: ${cause.message.slice(0, 200)}` : ''
    super(`Redis client is not ready (status ${status})${why}`, { cause })
    this.name = 'StoreUnavailableError'
  }
}

/** Rejects with {@link StoreTimeoutError} when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms)
    timer.unref?.()
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** Defines the scripts on `client` once and returns them bound to it. */
export function defineScripts(client: Redis): Scripts {
  const target = client as unknown as Record<string, ScriptCall>
  const out: Record<string, ScriptCall> = {}
  for (const [name, { lua, numberOfKeys }] of Object.entries(SCRIPTS)) {
    if (typeof target[name] !== 'function') client.defineCommand(name, { lua, numberOfKeys })
    out[name] = (...args) => target[name]!.apply(client, args)
  }
  return out as unknown as Scripts
}

/**
 * The pub/sub connection the store owns: a duplicate of the user's client with the safe
 * settings (bounded reconnect backoff, no retries per request) and an error listener always
 * attached, so a dead Redis never prints unhandled error events.
 */
export function openSubscriber(
  options: ResolvedStoreOptions,
  channel: string,
  onMessage: (message: string) => void,
  onReady: () => void,
  onError: (error: unknown) => void,
): Redis {
  const sub = options.client.duplicate({
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    // SUBSCRIBE is queued until connected; this connection never carries a protected call.
    enableOfflineQueue: true,
    lazyConnect: false,
  })
  sub.on('error', onError)
  sub.on('ready', onReady)
  sub.on('message', (ch: string, message: string) => {
    if (ch === channel) onMessage(message)
  })
  sub.subscribe(channel).catch(onError)
  return sub
}
