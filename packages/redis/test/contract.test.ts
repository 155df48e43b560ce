import { describeStoreContract } from '@tripswitch/core/testing'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { KINDS, single } from './clients.ts'
import { type RedisServer, startRedis } from './redis-server.ts'

let server: RedisServer
let prefixes = 0

beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

describe.each(KINDS)('with %s', (kind) => {
  describeStoreContract(
    `RedisStore, ${kind}`,
    async () => {
      const { client, close } = await single(kind, server.port)
      const store = new RedisStore({
        client,
        prefix: `c${++prefixes}:`,
        testing: true,
        pollInterval: 100,
        commandTimeout: 1_000,
      })
      return {
        store,
        advance: (ms: number) => store.travel(ms),
        cleanup: () => {
          store.close()
          close()
        },
      }
    },
    { describe, it },
  )
})
