import { CircuitBreaker } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Collector, cli, until } from './helpers.ts'
import { type OwnRedis, ownRedis } from './own-redis.ts'

// Redis failing under the CLI: a server that dies during watch, and one whose ACL refuses the
// store's scripts. The store never rejects a transition (it answers from its fallback), so the
// CLI must notice by itself that nothing was written.

let redis: OwnRedis
let client: Redis
let store: RedisStore
let breaker: CircuitBreaker

beforeAll(async () => {
  redis = await ownRedis()
  client = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null })
  client.on('error', () => {})
  await client.connect()
  await client.call('ACL', 'SETUSER', 'viewer', 'on', '>viewer-pw', '~*', '+@all', '-@scripting')
  store = new RedisStore({ client, pollInterval: 200, syncInterval: 50 })
  breaker = new CircuitBreaker({ name: 'payments', store })
  // The breaker's store registers it in the fleet; the CLI lists what Redis holds.
  const deadline = Date.now() + 5_000
  while (!(await store.fleet()).some((circuit) => circuit.name === 'payments')) {
    if (Date.now() > deadline) throw new Error('the fleet never listed payments')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}, 20_000)

afterAll(async () => {
  breaker.dispose()
  store.close()
  client.disconnect()
  await redis.kill()
})

describe('Redis failing under the CLI', () => {
  it('exits 1 naming what failed when the ACL refuses the scripts, for ls and for a forced action', async () => {
    const url = redis.url.replace('redis://', 'redis://viewer:viewer-pw@')
    const ls = await cli(['ls', '--redis', url])
    expect(ls.code).toBe(1)
    expect(ls.stderr).toMatch(
      /^tripswitch: cannot read the fleet from Redis at redis:\/\/127\.0\.0\.1:\d+.*NOPERM/,
    )
    expect(ls.stderr).not.toContain('viewer-pw')
    const open = await cli(['open', 'payments', '--force', '--redis', url])
    expect(open.code).toBe(1)
    expect(open.stderr).toMatch(/Redis did not take the change .*: .*NOPERM/)
    expect((await store.read('payments')).state).toBe('closed')
  })

  it('watch exits 1 when Redis goes away', async () => {
    const out = new Collector()
    const done = cli(['watch', '--json', '--redis', redis.url, '--timeout', '500'], { stdout: out })
    await until(() => out.text.includes('"name":"payments"'))
    await redis.kill()
    const { code, stderr } = await done
    expect(code).toBe(1)
    expect(stderr).toMatch(
      /^tripswitch: cannot read the fleet from Redis at redis:\/\/127\.0\.0\.1:\d+, prefix "tripswitch:": /,
    )
  })
})
