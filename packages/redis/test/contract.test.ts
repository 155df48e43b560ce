import { describeStoreContract } from '@tripswitch/core/testing'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

let server: RedisServer
let prefixes = 0

beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

describeStoreContract(
  'RedisStore',
  async () => {
    const client = server.client()
    await ready(client)
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
        client.disconnect()
      },
    }
  },
  { describe, it },
)
