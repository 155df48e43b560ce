import type { Cluster, Redis } from 'ioredis'
import { ioredisSeam } from './ioredis-seam.ts'
import { isNodeRedis, nodeRedisSeam } from './node-redis-seam.ts'
import type { RedisClient } from './options.ts'
import { SCRIPTS } from './scripts.ts'
import type { ClientSeam, ScriptName } from './seam.ts'

/** A script call: its flat arguments, the breaker's four keys first (EVALSHA, EVAL on NOSCRIPT). */
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

/** The seam over whichever client the store was given. */
export function seamFor(client: RedisClient): ClientSeam {
  return isNodeRedis(client) ? nodeRedisSeam(client) : ioredisSeam(client as Redis | Cluster)
}

/** The scripts as functions of their flat arguments (keys first), over `seam`. */
export function scriptsOn(seam: ClientSeam): Scripts {
  const out: Record<string, ScriptCall> = {}
  for (const name of Object.keys(SCRIPTS) as ScriptName[])
    out[name] = (...args) => seam.script({ name, args })
  return out as unknown as Scripts
}
