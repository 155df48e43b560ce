import { type ChildProcess, execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Cluster, type ClusterOptions, Redis } from 'ioredis'
import { exited, freePort, launch } from './redis-server.ts'

const run = promisify(execFile)

/** One node of a local cluster. */
export interface ClusterNode {
  readonly port: number
  readonly args: readonly string[]
  child: ChildProcess | null
}

/** A local Redis Cluster of 3 masters and 3 replicas, each a redis-server on a free port. */
export interface RedisCluster {
  readonly nodes: readonly ClusterNode[]
  /** An ioredis Cluster client with the safe settings. */
  client(options?: ClusterOptions): Cluster
  /** A plain client of one node (admin commands). */
  node(port: number): Redis
  /** The port of the master serving `slot` now, asked of a live node. */
  masterOf(slot: number): Promise<number>
  /** The ports of the live masters serving slots. */
  masters(): Promise<number[]>
  /** The hash slot of `key`. */
  slotOf(key: string): Promise<number>
  /** kill -9 the node on `port`. */
  kill(port: number): Promise<void>
  /** Starts a killed node again (it rejoins as a replica) and waits for the cluster. */
  revive(port: number): Promise<void>
  /**
   * Moves `slot` to the master on port `to` by hand (SETSLOT, MIGRATE a key at a time, `pauseMs`
   * between steps). `moved` runs once every key has moved but before the slot is handed over:
   * the old master answers ASK for it then.
   */
  migrate(slot: number, to: number, pauseMs: number, moved?: () => Promise<void>): Promise<void>
  /**
   * Resolves once every live node says `cluster_state:ok` and agrees who serves `slot` (and that
   * it is not the node on port `away`, a master just killed).
   */
  settled(slot?: number, away?: number, ms?: number): Promise<void>
  stop(): Promise<void>
}

/** Nodes fail over 1 s after their master stops answering (Redis's default is 15 s). */
const NODE_TIMEOUT = 1_000

async function redisCli(args: readonly string[]): Promise<string> {
  const { stdout } = await run('redis-cli', [...args], { timeout: 20_000 })
  return stdout
}

/** Starts the cluster; kills what it started if it cannot. */
export async function startCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tripswitch-cluster-'))
  const nodes: ClusterNode[] = []
  const admins: Redis[] = []
  const clients: Cluster[] = []
  const stop = async () => {
    for (const c of clients) c.disconnect()
    for (const a of admins) a.disconnect()
    await Promise.all(nodes.map((n) => killNode(n)))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort()
      const args = [
        ...['--cluster-enabled', 'yes', '--dir', dir],
        ...['--cluster-config-file', `nodes-${port}.conf`],
        ...['--cluster-node-timeout', String(NODE_TIMEOUT)],
        // A replica may take over however long it was cut off: tests kill masters at once.
        ...['--cluster-replica-validity-factor', '0'],
      ]
      nodes.push({ port, args, child: await launch(port, args) })
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`)
    await redisCli([
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ])
  } catch (error) {
    await stop()
    throw error
  }
  const node = (port: number) => {
    const admin = new Redis({
      port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    admin.on('error', () => {})
    admins.push(admin)
    return admin
  }
  const live = () => nodes.filter((n) => n.child !== null)
  const masterOf = async (slot: number) => {
    for (const n of live()) {
      const admin = node(n.port)
      try {
        const slots = (await admin.cluster('SLOTS')) as unknown as [
          number,
          number,
          [string, number],
        ][]
        const range = slots.find(([from, to]) => slot >= from && slot <= to)
        if (range) return range[2][1]
      } catch {
        // Try the next node.
      } finally {
        admin.disconnect()
      }
    }
    throw new Error(`no live node knows slot ${slot}`)
  }
  const cluster: RedisCluster = {
    nodes,
    client(options = {}) {
      const client = new Cluster(
        live().map((n) => ({ host: '127.0.0.1', port: n.port })),
        {
          enableOfflineQueue: false,
          clusterRetryStrategy: () => 50,
          retryDelayOnFailover: 50,
          retryDelayOnClusterDown: 50,
          slotsRefreshTimeout: 500,
          redisOptions: { commandTimeout: 200, maxRetriesPerRequest: 0, connectTimeout: 500 },
          ...options,
        },
      )
      client.on('error', () => {})
      clients.push(client)
      return client
    },
    node,
    masterOf,
    async kill(port) {
      const n = nodes.find((x) => x.port === port)
      if (n) await killNode(n)
    },
    async masters() {
      const admin = node(live()[0]!.port)
      try {
        const slots = (await admin.cluster('SLOTS')) as unknown as [
          number,
          number,
          [string, number],
        ][]
        return [...new Set(slots.map((range) => range[2][1]))]
      } finally {
        admin.disconnect()
      }
    },
    async slotOf(key) {
      const admin = node(live()[0]!.port)
      try {
        return Number(await admin.call('CLUSTER', 'KEYSLOT', key))
      } finally {
        admin.disconnect()
      }
    },
    async revive(port) {
      const n = nodes.find((x) => x.port === port)
      if (n === undefined || n.child !== null) return
      n.child = await launch(port, n.args)
      await cluster.settled()
    },
    async migrate(slot, to, pauseMs, moved) {
      const from = await masterOf(slot)
      const pause = () => new Promise((resolve) => setTimeout(resolve, pauseMs))
      const src = node(from)
      const dst = node(to)
      const srcId = String(await src.call('CLUSTER', 'MYID'))
      const dstId = String(await dst.call('CLUSTER', 'MYID'))
      await dst.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', srcId)
      await src.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', dstId)
      await pause()
      for (;;) {
        const keys = (await src.call('CLUSTER', 'GETKEYSINSLOT', slot, 1)) as string[]
        if (keys.length === 0) break
        await src.call('MIGRATE', '127.0.0.1', to, '', 0, 5_000, 'KEYS', ...keys)
        await pause()
      }
      try {
        await moved?.()
      } finally {
        // Handed over whatever `moved` did, so a failed test leaves no slot half-migrated. The
        // new owner first, then the old one, then every other master (as redis-cli does).
        await dst.call('CLUSTER', 'SETSLOT', slot, 'NODE', dstId)
        await src.call('CLUSTER', 'SETSLOT', slot, 'NODE', dstId)
        for (const n of live())
          if (n.port !== from && n.port !== to) {
            const other = node(n.port)
            await other.call('CLUSTER', 'SETSLOT', slot, 'NODE', dstId).catch(() => {})
            other.disconnect()
          }
        src.disconnect()
        dst.disconnect()
      }
    },
    async settled(slot, away, ms = 15_000) {
      const deadline = Date.now() + ms
      for (;;) {
        const owner = await agreed(live(), node, slot)
        if (owner !== false && (away === undefined || owner !== String(away))) return
        if (Date.now() > deadline) throw new Error('cluster did not settle in time')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    stop,
  }
  try {
    await cluster.settled()
  } catch (error) {
    await stop()
    throw error
  }
  return cluster
}

async function killNode(n: ClusterNode): Promise<void> {
  const child = n.child
  if (child === null) return
  n.child = null
  child.kill('SIGKILL')
  await exited(child)
}

/** The port every live node names for `slot` ('' without one), or false: not ok, or no agreement. */
async function agreed(
  live: readonly ClusterNode[],
  node: (port: number) => Redis,
  slot: number | undefined,
): Promise<string | false> {
  const owners = new Set<string>()
  for (const n of live) {
    const admin = node(n.port)
    try {
      const info = await admin.cluster('INFO')
      if (!String(info).includes('cluster_state:ok')) return false
      if (slot === undefined) continue
      const slots = (await admin.cluster('SLOTS')) as unknown as [
        number,
        number,
        [string, number],
      ][]
      const range = slots.find(([from, to]) => slot >= from && slot <= to)
      if (!range) return false
      owners.add(String(range[2][1]))
    } catch {
      return false
    } finally {
      admin.disconnect()
    }
  }
  return owners.size <= 1 ? ([...owners][0] ?? '') : false
}
