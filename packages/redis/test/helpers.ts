import type { Redis } from 'ioredis'
import { RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { type RedisServer, ready } from './redis-server.ts'

let prefixes = 0

/** A fresh prefix per store group, so tests sharing a server never see each other's keys. */
export function uniquePrefix(): string {
  return `t${process.pid}x${++prefixes}:`
}

/** Stores sharing one prefix on `server`, each with its own client (one per "instance"). */
export async function instances(
  server: RedisServer,
  count: number,
  options: Partial<RedisStoreOptions> = {},
): Promise<{ prefix: string; stores: RedisStore[]; clients: Redis[]; close(): void }> {
  const prefix = options.prefix ?? uniquePrefix()
  const clients = Array.from({ length: count }, () => server.client())
  await Promise.all(clients.map(ready))
  const stores = clients.map(
    (client) => new RedisStore({ pollInterval: 200, syncInterval: 50, ...options, client, prefix }),
  )
  return {
    prefix,
    stores,
    clients,
    close() {
      for (const s of stores) s.close()
      for (const c of clients) c.disconnect()
    },
  }
}

/** Waits for `condition`, polling every 5 ms, at most `ms`. */
export async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Redis command counts from INFO commandstats. */
export async function commandCounts(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats')
  const counts = new Map<string, number>()
  for (const match of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
    counts.set(match[1]!, Number(match[2]))
  return counts
}
