import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { keysOf } from '../src/keys.ts'
import { uniquePrefix, until } from './helpers.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

const WORKERS = 8
const CONCURRENCY = 25

let server: RedisServer
let workers: ChildProcess[] = []

function send(worker: ChildProcess, message: unknown): Promise<{ result: number }> {
  return new Promise((resolve) => {
    worker.once('message', (answer) => resolve(answer as { result: number }))
    worker.send(message as object)
  })
}

beforeAll(async () => {
  server = await startRedis()
  workers = Array.from({ length: WORKERS }, () =>
    fork(join(import.meta.dirname, 'worker.ts'), [String(server.port)], {
      execArgv: ['--import', 'tsx', '--conditions=@tripswitch/source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  )
  await Promise.all(
    workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))),
  )
}, 30_000)

afterAll(async () => {
  for (const w of workers) w.send('exit')
  await server?.stop()
})

/** Listens to the store's channel and counts published transitions. */
async function listen(prefix: string): Promise<{ messages: string[]; stop(): void }> {
  const sub = server.client({ enableOfflineQueue: true })
  const messages: string[] = []
  sub.on('message', (_channel: string, message: string) => messages.push(message))
  await sub.subscribe(`${prefix}events`)
  return { messages, stop: () => sub.disconnect() }
}

describe(`${WORKERS} processes x ${CONCURRENCY} concurrent calls`, () => {
  it.each([1, 2, 3])('failing calls make exactly one open transition (round %i)', async () => {
    const prefix = uniquePrefix()
    const channel = await listen(prefix)
    const round = { kind: 'trip', prefix, concurrency: CONCURRENCY, maxProbes: 1 }
    const answers = await Promise.all(workers.map((w) => send(w, round)))
    // Every instance ends open: its own trip, or the winner's state.
    expect(answers.map((a) => a.result)).toEqual(Array(WORKERS).fill(1))
    const client = server.client()
    await ready(client)
    const state = await client.hgetall(keysOf(prefix, 'race').state)
    expect([state.state, state.gen]).toEqual(['open', '1'])
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(channel.messages.length).toBe(1)
    expect(channel.messages[0]).toMatch(/^race\|open\|1\|\d+\|1$/)
    channel.stop()
  })

  it.each([1, 3])(
    'at the open -> half_open edge, grants exactly halfOpenMaxCalls = %i leases',
    async (maxProbes) => {
      const prefix = uniquePrefix()
      const client = server.client()
      await ready(client)
      const store = new RedisStore({ client, prefix, pollInterval: 60_000 })
      await store.transition('edge', { fromGeneration: 0, to: 'open', openForMs: 30, openings: 1 })
      const channel = await listen(prefix)
      await new Promise((resolve) => setTimeout(resolve, 40))
      const round = { kind: 'acquire', prefix, concurrency: CONCURRENCY, maxProbes }
      const answers = await Promise.all(workers.map((w) => send(w, round)))
      expect(answers.reduce((sum, a) => sum + a.result, 0)).toBe(maxProbes)
      await until(() => channel.messages.length >= 1)
      await new Promise((resolve) => setTimeout(resolve, 30))
      expect(channel.messages).toEqual([expect.stringMatching(/^edge\|half_open\|2\|0\|1$/)])
      store.close()
      channel.stop()
    },
  )
})
