// A forked "instance" for the multi-process tests: one client, a fresh store per round.
import { CircuitBreaker } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { RedisStore } from '../src/index.ts'

interface Round {
  readonly kind: 'trip' | 'acquire'
  readonly prefix: string
  readonly concurrency: number
  readonly maxProbes: number
}

const port = Number(process.argv[2])
const client = new Redis({
  port,
  host: '127.0.0.1',
  commandTimeout: 2_000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
})
client.on('error', () => {})

async function trip(store: RedisStore, round: Round): Promise<number> {
  const breaker = new CircuitBreaker({ name: 'race', errorThreshold: 5, store })
  await new Promise((resolve) => setTimeout(resolve, 20))
  const calls = Array.from({ length: round.concurrency }, () =>
    breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {}),
  )
  await Promise.all(calls)
  return breaker.state === 'open' ? 1 : 0
}

async function acquire(store: RedisStore, round: Round): Promise<number> {
  const asks = Array.from({ length: round.concurrency }, (_, i) =>
    store.acquireProbe('edge', {
      generation: 1,
      token: `${process.pid}:${i}`,
      maxProbes: round.maxProbes,
      leaseMs: 10_000,
    }),
  )
  return (await Promise.all(asks)).filter((g) => g.granted).length
}

process.on('message', (message: Round | 'exit') => {
  if (message === 'exit') {
    client.disconnect()
    process.exit(0)
  }
  const round = message as Round
  const store = new RedisStore({
    client,
    prefix: round.prefix,
    pollInterval: 60_000,
    commandTimeout: 2_000,
  })
  const run = round.kind === 'trip' ? trip(store, round) : acquire(store, round)
  void run.then((result) => {
    store.close()
    process.send?.({ result, unavailable: store.unavailable })
  })
})

client.once('ready', () => process.send?.('ready'))
