import { type Cluster, Redis } from 'ioredis'
import { createClient, createCluster } from 'redis'
import { onTestFinished } from 'vitest'
import { type RedisClient, RedisStore, type RedisStoreOptions } from '../src/index.ts'
import { uniquePrefix } from './helpers.ts'
import type { RedisCluster } from './redis-cluster.ts'
import { ready } from './redis-server.ts'

/** The client libraries the store runs on. */
export type ClientKind = 'ioredis' | 'node-redis'

export const KINDS: readonly ClientKind[] = ['ioredis', 'node-redis']

/** A connected client of `kind`, and how to close it. */
export interface Made {
  readonly client: RedisClient
  close(): void
}

/**
 * The node-redis settings the README recommends: no offline queue (a command while
 * disconnected fails at once), a timeout per command, a short connect timeout, a fast reconnect.
 */
const NODE_REDIS_SOCKET = { connectTimeout: 500, reconnectStrategy: () => 50 }
const NODE_REDIS = { disableOfflineQueue: true, commandOptions: { timeout: 200 } }

/** A client of the Redis on `port` (a server of ours, or a fault proxy in front of one), connected. */
export async function single(kind: ClientKind, port: number): Promise<Made> {
  if (kind === 'ioredis') {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      commandTimeout: 200,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    })
    client.on('error', () => {})
    await ready(client)
    return { client, close: () => client.disconnect() }
  }
  const client = createClient({
    socket: { host: '127.0.0.1', port, ...NODE_REDIS_SOCKET },
    ...NODE_REDIS,
  })
  client.on('error', () => {})
  await client.connect()
  return { client, close: () => destroy(client) }
}

/** A client of the local cluster, connected. */
export async function clustered(kind: ClientKind, cluster: RedisCluster): Promise<Made> {
  if (kind === 'ioredis') {
    const client: Cluster = cluster.client()
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve))
    return { client, close: () => client.disconnect() }
  }
  const live = cluster.nodes.filter((n) => n.child !== null)
  const client = createCluster({
    rootNodes: live.map((n) => ({ socket: { host: '127.0.0.1', port: n.port } })),
    defaults: { socket: NODE_REDIS_SOCKET, ...NODE_REDIS },
  })
  client.on('error', () => {})
  await client.connect()
  return { client, close: () => destroy(client) }
}

function destroy(client: { isOpen: boolean; destroy(): void }): void {
  if (client.isOpen) client.destroy()
}

/** Stores sharing one prefix, each on its own client (one per "instance"). */
export interface Fleet {
  readonly prefix: string
  readonly stores: RedisStore[]
  close(): void
}

/** `count` stores on clients from `make`, sharing a fresh prefix. */
export async function fleet(
  make: () => Promise<Made>,
  count: number,
  options: Partial<RedisStoreOptions> = {},
): Promise<Fleet> {
  const prefix = options.prefix ?? uniquePrefix()
  const made = await Promise.all(Array.from({ length: count }, make))
  const stores = made.map(
    ({ client }) =>
      new RedisStore({ pollInterval: 200, syncInterval: 50, ...options, client, prefix }),
  )
  const close = () => {
    for (const s of stores) s.close()
    for (const m of made) m.close()
  }
  // Closed however the test ends: a failed assertion leaves no client reconnecting forever.
  onTestFinished(close)
  return { prefix, stores, close }
}
