// Run by memory.test.ts in a child process with --expose-gc: names churned through a registry
// that holds at most 1,000 breakers, and the heap growth they leave once collected.
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { recordedName } from '../src/fleet.ts'
import { RedisStore } from '../src/index.ts'
import { fleetKeysOf } from '../src/keys.ts'

const [port, mode, count] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])]
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

const client = new Redis({
  port,
  host: '127.0.0.1',
  commandTimeout: 5_000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => 1_000,
})
client.on('error', () => {})

/**
 * The heap once garbage collection stops freeing anything: buffers a client let go of a moment
 * ago (replies, batches just written) must not read as memory kept per name.
 */
async function heapAfterGc(): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    gc!()
    const used = process.memoryUsage().heapUsed
    if (used >= lowest) break
    lowest = used
  }
  return lowest
}

async function main(): Promise<void> {
  if (mode === 'redis') await new Promise((resolve) => client.once('ready', resolve))
  const store =
    mode === 'memory'
      ? undefined
      : // Heartbeats each second: a fleet write that failed under load (the entry is then
        // marked stale) is rewritten within a second instead of at the next 60 s poll.
        new RedisStore({
          client,
          prefix: `heap${process.pid}:`,
          pollInterval: 1_000,
          fleetTtlMs: 3_000,
        })
  // What went wrong, should a reading then time out.
  if (mode === 'redis') store?.on('error', (error) => console.error('heap child store:', error))
  const registry = new CircuitBreakerRegistry({ ...(store && { store }), maxBreakers: 1_000 })
  // Every 1,000 names, wait for Redis to have answered them (replies arrive in order).
  const settle = () => (mode === 'redis' ? client.ping() : Promise.resolve())
  // The store writes the fleet's joins and leaves in batches after the calls: before a heap
  // reading, wait until Redis holds exactly the names the registry holds, so a batch still on
  // its way is not counted as memory kept per name.
  async function fleetWritten(): Promise<void> {
    if (mode !== 'redis' || store === undefined) return
    const key = fleetKeysOf(`heap${process.pid}:`).names(store.instanceId)
    const held = new Set(registry.list().map((breaker) => recordedName(breaker.name)))
    for (let tries = 0; tries < 600; tries++) {
      const members = await client.smembers(key)
      if (members.length === held.size && members.every((m) => held.has(m))) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const members = new Set(await client.smembers(key))
    const missing = [...held].filter((name) => !members.has(name ?? '')).length
    const extra = [...members].filter((name) => !held.has(name)).length
    throw new Error(
      `the fleet writes did not drain within 30 s: ${missing} missing, ${extra} extra`,
    )
  }
  async function churn(from: number, names: number): Promise<void> {
    for (let i = from; i < from + names; i++) {
      registry.get(`tenant-${i}`)
      if (i % 1_000 === 999) await settle()
    }
    await settle()
  }
  await churn(0, 3_000)
  await fleetWritten()
  const before = await heapAfterGc()
  await churn(3_000, count)
  await fleetWritten()
  const after = await heapAfterGc()
  process.send?.({ growth: after - before, size: registry.size })
  store?.close()
  client.disconnect()
}

void main()
