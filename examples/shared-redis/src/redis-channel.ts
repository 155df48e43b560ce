import { isCircuitState } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { wallTime } from './messages.ts'
import type { TimelineEntry } from './timeline.ts'

/** Redis did not accept a connection; main prints the message and exits 1. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError'
}

/** The coordinator's own view of Redis: the store's transition channel, and cleanup. */
export interface RedisWatch {
  /** Deletes this run's keys and closes both connections. */
  close(): Promise<void>
}

/**
 * Subscribes to `<prefix>events`, where the store's transition scripts publish every change as
 * `id|state|generation|retryAfterMs|openings`. Counting those messages shows each edge happened
 * once in Redis, whatever the workers did.
 */
export async function watchRedis(
  url: string,
  prefix: string,
  onPublished: (entry: TimelineEntry) => void,
): Promise<RedisWatch> {
  // No reconnecting: these connections exist for one short run, and a Redis that is not there
  // at the start should end the run with a message, not retry forever.
  const options = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }
  const subscriber = new Redis(url, options)
  const commands = new Redis(url, options)
  // ioredis reports the cause (ECONNREFUSED...) as an 'error' event; connect() then only
  // says the connection closed. Keep the cause for the message.
  let cause: unknown
  for (const client of [subscriber, commands])
    client.on('error', (error: unknown) => {
      cause = error
    })
  try {
    await Promise.all([subscriber.connect(), commands.connect()])
  } catch (error) {
    subscriber.disconnect()
    commands.disconnect()
    const reason = cause instanceof Error ? cause.message : String(error)
    throw new RedisUnreachableError(`cannot reach Redis at ${url} (${reason})`)
  }
  subscriber.on('message', (_channel: string, message: string) => {
    const [, state, generation] = message.split('|')
    if (isCircuitState(state))
      onPublished({ type: 'published', at: wallTime(), state, generation: Number(generation) })
  })
  await subscriber.subscribe(`${prefix}events`)
  return {
    async close() {
      // The keys expire on their own (stateTtl), but a shared Redis need not keep them.
      // SCAN, not KEYS: a shared Redis should not block for our cleanup.
      let cursor = '0'
      do {
        const [next, keys] = await commands.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 100)
        if (keys.length > 0) await commands.unlink(...keys)
        cursor = next
      } while (cursor !== '0')
      await Promise.all([subscriber.quit(), commands.quit()])
    },
  }
}
