// Run by memory.test.ts in a child process with --expose-gc: names churned through a registry
// that holds at most 1,000 breakers, and the heap growth they leave once collected.
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { RedisStore } from '../src/index.ts'

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

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc!()
  }
  return process.memoryUsage().heapUsed
}

async function main(): Promise<void> {
  if (mode === 'redis') await new Promise((resolve) => client.once('ready', resolve))
  const store =
    mode === 'memory'
      ? undefined
      : new RedisStore({ client, prefix: `heap${process.pid}:`, pollInterval: 60_000 })
  const registry = new CircuitBreakerRegistry({ ...(store && { store }), maxBreakers: 1_000 })
  // Every 1,000 names, wait for Redis to have answered them (replies arrive in order).
  const settle = () => (mode === 'redis' ? client.ping() : Promise.resolve())
  async function churn(from: number, names: number): Promise<void> {
    for (let i = from; i < from + names; i++) {
      registry.get(`tenant-${i}`)
      if (i % 1_000 === 999) await settle()
    }
    await settle()
  }
  await churn(0, 3_000)
  const before = await heapAfterGc()
  await churn(3_000, count)
  const after = await heapAfterGc()
  process.send?.({ growth: after - before, size: registry.size })
  store?.close()
  client.disconnect()
}

void main()
