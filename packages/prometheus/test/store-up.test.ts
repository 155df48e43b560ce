import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { registerMetrics } from '../src/index.ts'
import { parse } from './helpers.ts'

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** A redis-server of the test's own, on a free port; resolves once it accepts connections. */
async function startRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanups.push(() => child.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.on('error', reject)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
  })
  return { port, child }
}

async function until(condition: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('store_up with a real RedisStore', () => {
  it('is 1 while Redis answers and 0 once the store finds it gone', async () => {
    const { port, child } = await startRedis()
    const client = new Redis({
      port,
      host: '127.0.0.1',
      commandTimeout: 100,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    })
    client.on('error', () => {})
    await new Promise((resolve) => client.once('ready', resolve))
    const store = new RedisStore({ client, prefix: `metrics-test:${port}:`, commandTimeout: 100 })
    cleanups.push(() => {
      store.close()
      client.disconnect()
    })
    const registry = new CircuitBreakerRegistry({ store })
    const register = new Registry()
    registerMetrics(registry, { register, store })
    registry.get('orders').forceOpen()
    expect(parse(await register.metrics()).value('tripswitch_store_up')).toBe(1)

    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    // The store notices at its next command: a transition asked of it.
    registry.get('orders').reset()
    await until(() => store.unavailable)
    const scrape = parse(await register.metrics())
    expect(scrape.value('tripswitch_store_up')).toBe(0)
    expect(scrape.stateOf('orders')).toBe('closed')
  })
})
