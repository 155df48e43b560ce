import { CircuitBreaker } from '@tripswitch/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.ts'
import { until } from './helpers.ts'
import { type RedisServer, ready, startRedis } from './redis-server.ts'

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

// The recipe from the README, verbatim.
const RECIPE =
  'on >secret ~tripswitch:* &tripswitch:* -@all +evalsha +eval +script|load ' +
  '+ping +subscribe +publish +time +hmget +hget +hset +hincrby +hgetall +hdel +pexpire +pttl +del ' +
  '+zadd +zrem +zcard +zremrangebyscore +info +sadd +srem +sscan +zscan +zscore +zrangebyscore'

describe('least-privilege ACL (README recipe)', () => {
  it('runs every store operation and nothing outside its prefix', async () => {
    const admin = server.client()
    await ready(admin)
    await admin.call('ACL', 'SETUSER', 'tripswitch', ...RECIPE.split(' '))
    const client = server.client({ username: 'tripswitch', password: 'secret' })
    await ready(client)
    const store = new RedisStore({ client, testing: true, pollInterval: 100 })
    const errors: unknown[] = []
    const a = new CircuitBreaker({ name: 'acl', errorThreshold: 2, recoveryTimeout: 50, store })
    a.on('storeError', ({ error }) => errors.push(error))
    await a.execute(() => Promise.resolve(1))
    for (let i = 0; i < 2; i++)
      await a.execute(() => Promise.reject(new Error('x'))).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 80))
    await a.execute(() => Promise.resolve(1))
    await until(() => a.state === 'closed')
    const listing = await store.fleet()
    expect(listing.map((c) => [c.name, c.instances.map((i) => i.id)])).toEqual([
      ['acl', [store.instanceId]],
    ])
    await store.delete('acl')
    expect(errors).toEqual([])
    expect(store.unavailable).toBe(false)
    expect(await admin.hget('tripswitch:{acl}:s', 'gen')).toBeNull()
    await expect(client.set('other:key', '1')).rejects.toThrow(/NOPERM/)
    await expect(client.call('FLUSHALL')).rejects.toThrow(/NOPERM/)
    store.close()
  })
})
