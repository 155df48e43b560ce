import type { Cluster, Redis } from 'ioredis'
import { SCRIPTS } from './scripts.ts'
import type { ClientSeam, ScriptCall, Settled, SubscriberHandlers } from './seam.ts'

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>
type Batch = Record<string, ScriptFn> & { exec(): Promise<[Error | null, unknown][] | null> }

/** ioredis backs off reconnects itself; the store's own connection caps the wait at 2 s. */
const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2_000)

/** True for an ioredis `Cluster` (its `isCluster` flag), false for a `Redis` (one node or Sentinel). */
export function isIoCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true
}

/**
 * The seam over ioredis, one Redis (or Sentinel) or a Cluster. Scripts are ioredis commands
 * (`defineCommand`: EVALSHA, EVAL on NOSCRIPT; on a cluster routed by the first key, MOVED and ASK
 * followed by ioredis). The poll is one pipeline on one Redis; on a cluster, where a pipeline
 * must stay in one slot, its reads go as concurrent commands.
 */
export function ioredisSeam(client: Redis | Cluster): ClientSeam {
  const cluster = isIoCluster(client)
  const target = client as unknown as Record<string, ScriptFn>
  for (const [name, { lua, numberOfKeys }] of Object.entries(SCRIPTS))
    if (typeof target[name] !== 'function') client.defineCommand(name, { lua, numberOfKeys })
  const run = (call: ScriptCall) => target[call.name]!.apply(client, [...call.args])
  return {
    status: () => client.status,
    ready: () => client.status === 'ready',
    script: run,
    async scripts(calls) {
      if (cluster) return settleAll(calls.map(run))
      const batch = client.pipeline() as unknown as Batch
      for (const call of calls) batch[call.name]!(...call.args)
      return ((await batch.exec()) ?? []) as Settled[]
    },
    ping: (key) => (cluster ? client.hget(key, 'at') : client.ping()),
    mark: (key, ms) => Promise.all([client.hset(key, 'at', Date.now()), client.pexpire(key, ms)]),
    del: (keys) => client.del(...keys),
    // ioredis refreshes a cluster's slots itself on MOVED, on a lost node and every few seconds.
    heal: () => {},
    watch(onReady, onError) {
      client.on('ready', onReady)
      client.on('error', onError)
      return () => {
        client.off('ready', onReady)
        client.off('error', onError)
      }
    },
    subscribe: (channel, handlers) =>
      cluster
        ? subscribeCluster(client, channel, handlers)
        : subscribeOne(client, channel, handlers),
  }
}

/** Every promise settled, as `[error, reply]` pairs in order. */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<Settled[]> {
  const results = await Promise.allSettled(promises)
  return results.map((r) =>
    r.status === 'fulfilled' ? [null, r.value] : [asError(r.reason), undefined],
  )
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason))
}

/**
 * A duplicate of the user's client with the safe settings (bounded reconnect backoff, no retries
 * per request) and an error listener always attached, so a dead Redis never prints unhandled
 * error events. With Sentinel the duplicate asks the sentinels too, so it follows a failover.
 */
function subscribeOne(client: Redis, channel: string, h: SubscriberHandlers): () => void {
  const sub = client.duplicate({
    maxRetriesPerRequest: 0,
    retryStrategy: backoff,
    // SUBSCRIBE is queued until connected; this connection never carries a protected call.
    enableOfflineQueue: true,
    lazyConnect: false,
  })
  return listen(sub, channel, h)
}

/**
 * A duplicate of the cluster. ioredis subscribes through one node of it and moves the
 * subscription to another node when that one goes; classic PUBLISH reaches every node.
 */
function subscribeCluster(client: Cluster, channel: string, h: SubscriberHandlers): () => void {
  const sub = client.duplicate([], {
    clusterRetryStrategy: backoff,
    enableOfflineQueue: true,
    lazyConnect: false,
  }) as Cluster
  return listen(sub, channel, h)
}

function listen(sub: Redis | Cluster, channel: string, h: SubscriberHandlers): () => void {
  sub.on('error', h.onError)
  sub.on('ready', h.onReady)
  sub.on('message', (ch: string, message: string) => {
    if (ch === channel) h.onMessage(message)
  })
  sub.subscribe(channel).catch(h.onError)
  return () => sub.disconnect()
}
