import { createHash } from 'node:crypto'
import { settleAll } from './ioredis-seam.ts'
import { SCRIPTS } from './scripts.ts'
import type { ClientSeam, ScriptCall, SubscriberHandlers } from './seam.ts'

/** Keys and arguments of a node-redis `eval`/`evalSha` call. */
export interface NodeRedisEvalOptions {
  /** The breaker's keys (`KEYS`), all in one hash slot. */
  keys: string[]
  /** The script's arguments (`ARGV`), as strings. */
  arguments: string[]
}

/** What both node-redis v5 clients (`createClient()`, `createCluster()`) have that the store uses. */
interface NodeRedisCommon {
  /** True between `connect()` and `close()`/`destroy()`. */
  readonly isOpen: boolean
  /** Runs a loaded script by its SHA-1 (every store operation). */
  evalSha(sha: string, options: NodeRedisEvalOptions): Promise<unknown>
  /** Runs a script by its source, loading it (after a `NOSCRIPT` answer). */
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>
  /** The poll's check on a cluster (a read routed by its key). */
  hGet(key: string, field: string): Promise<unknown>
  /** With `pExpire`: the poll's write while Redis is down. */
  hSet(key: string, field: string, value: number): Promise<unknown>
  /** Expiry of the poll's write, in ms. */
  pExpire(key: string, ms: number): Promise<unknown>
  /** `store.delete(name)`: the keys of one breaker. */
  del(keys: string[]): Promise<unknown>
  /** On the store's own duplicate only: the `<prefix>events` channel. */
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>
  /** On the store's own duplicate only (you connect the client you pass). */
  connect(): Promise<unknown>
  /** On the store's own duplicate only, at `store.close()`. */
  destroy(): void
  /** `ready` (`connect` for a cluster) and `error` listeners, removed at `store.close()`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown
  /** Removes a listener added with `on`. */
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** The part of a node-redis v5 client (`createClient()`) the store uses. */
export interface NodeRedisClient extends NodeRedisCommon {
  /** True while connected and ready for commands. */
  readonly isReady: boolean
  /** The poll's check on one Redis. */
  ping(): Promise<unknown>
  /** A new client with the same options: the store's pub/sub connection. */
  duplicate(): NodeRedisClient
}

/** The part of a node-redis v5 cluster client (`createCluster()`) the store uses. */
export interface NodeRedisCluster extends NodeRedisCommon {
  /** The cluster's masters (tells a cluster from a client). */
  readonly masters: readonly unknown[]
  /** A new cluster client with the same options: the store's pub/sub connection. */
  duplicate(): NodeRedisCluster
}

/** True for a node-redis client or cluster (it has `evalSha` and `isOpen`, not `defineCommand`). */
export function isNodeRedis(value: object): value is NodeRedisClient | NodeRedisCluster {
  const c = value as Record<string, unknown>
  return typeof c.evalSha === 'function' && typeof c.isOpen === 'boolean'
}

function isNodeCluster(client: NodeRedisClient | NodeRedisCluster): client is NodeRedisCluster {
  return !('isReady' in client) && Array.isArray((client as NodeRedisCluster).masters)
}

const SHAS = new Map(
  Object.entries(SCRIPTS).map(([name, { lua }]) => [
    name,
    createHash('sha1').update(lua).digest('hex'),
  ]),
)

/**
 * The seam over node-redis v5. Scripts go by EVALSHA and, when Redis answers NOSCRIPT (a
 * restart, SCRIPT FLUSH, a new cluster node), once by EVAL, which loads them again. node-redis
 * writes the commands of one tick together, so the poll's concurrent reads share round trips;
 * on a cluster each goes to its slot's node.
 */
export function nodeRedisSeam(client: NodeRedisClient | NodeRedisCluster): ClientSeam {
  const cluster = isNodeCluster(client)
  const ready = () => (cluster ? client.isOpen : (client as NodeRedisClient).isReady)
  const run = async (call: ScriptCall) => {
    const { lua, numberOfKeys } = SCRIPTS[call.name]!
    const all = call.args.map(String)
    const options = { keys: all.slice(0, numberOfKeys), arguments: all.slice(numberOfKeys) }
    try {
      return await client.evalSha(SHAS.get(call.name)!, options)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return client.eval(lua, options)
    }
  }
  return {
    status: () => (ready() ? 'ready' : client.isOpen ? 'reconnecting' : 'closed'),
    ready,
    script: run,
    scripts: (calls) => settleAll(calls.map(run)),
    ping: (key) => (cluster ? client.hGet(key, 'at') : (client as NodeRedisClient).ping()),
    mark: (key, ms) => Promise.all([client.hSet(key, 'at', Date.now()), client.pExpire(key, ms)]),
    del: (keys) => client.del([...keys]),
    heal: () => {
      if (cluster) rediscover(client)
    },
    watch(onReady, onError) {
      // A cluster says `connect` once its slots are known; a client says `ready` on each connection.
      const readyEvent = cluster ? 'connect' : 'ready'
      client.on(readyEvent, onReady)
      client.on('error', onError)
      return () => {
        client.off(readyEvent, onReady)
        client.off('error', onError)
      }
    },
    subscribe: (channel, handlers) => subscribe(client, cluster, channel, handlers),
  }
}

/** The part of node-redis's cluster internals {@link rediscover} uses. */
interface SlotsInternals {
  rediscover?: (startWith: unknown) => Promise<unknown>
  masters?: readonly { client?: { isReady?: boolean } }[]
}

/**
 * Asks a node-redis cluster to read its topology again, starting from a master still ready.
 * node-redis re-reads it only on a MOVED or ASK reply: after a master dies its commands wait on
 * the dead node's connection forever, and no reply from another node ever says the replica took
 * over. There is no public call for it in node-redis 5, so this uses the cluster's `_slots`,
 * checked at every step: with another version it does nothing, and the store stays on its
 * fallback until the client finds the new master by itself.
 */
function rediscover(client: object): void {
  const slots = (client as { _slots?: SlotsInternals })._slots
  if (typeof slots?.rediscover !== 'function' || !Array.isArray(slots.masters)) return
  const alive = slots.masters.find((master) => master.client?.isReady === true)?.client
  if (alive === undefined) return
  slots.rediscover(alive).catch(() => {})
}

/**
 * A duplicate of the user's client, connected by the store, with an error listener always
 * attached (node-redis throws an `error` event nobody listens to). node-redis subscribes again
 * after a reconnect, and on a cluster moves the subscription when its node goes.
 */
function subscribe(
  client: NodeRedisClient | NodeRedisCluster,
  cluster: boolean,
  channel: string,
  h: SubscriberHandlers,
): () => void {
  const sub = client.duplicate()
  let closed = false
  sub.on('error', h.onError)
  sub.on(cluster ? 'connect' : 'ready', h.onReady)
  sub
    .connect()
    .then(() => (closed ? undefined : sub.subscribe(channel, (message) => h.onMessage(message))))
    .catch(h.onError)
  return () => {
    closed = true
    // connect() opened it at once (isOpen), so destroy() ends a connection still being made too.
    if (sub.isOpen) sub.destroy()
  }
}
