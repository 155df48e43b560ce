import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { createDashboard, type Dashboard } from '@tripswitch/dashboard'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { Collector, cli, ESC, REDIS_URL, uniquePrefix, until, withoutColour } from './helpers.ts'

// The --url source against the real admin API: @tripswitch/dashboard mounted at /circuits on a
// node:http server, over a registry of real breakers (and, for the fleet, a real RedisStore).

const TOKEN = 'Bearer let-me-in'
const AUTH = ['--header', `Authorization: ${TOKEN}`]
const HOSTILE = `<img src=x onerror=alert(1)>"'\x1b[2J\u202e`

interface Instance {
  readonly url: string
  readonly registry: CircuitBreakerRegistry
  readonly log: { who: string | null; action: string; name: string; allowed: boolean }[]
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function instance(names: readonly string[], store?: RedisStore): Promise<Instance> {
  const registry = new CircuitBreakerRegistry({ store, defaults: { errorThreshold: 2 } })
  for (const name of names) registry.get(name)
  const log: Instance['log'] = []
  const dashboard: Dashboard = createDashboard({
    registry,
    store,
    basePath: '/circuits',
    authorize: (req) => (req.headers.authorization === TOKEN ? { who: 'ops' } : false),
    log: (entry) => log.push(entry),
  })
  const server: Server = createServer((req, res) => dashboard(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    dashboard.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    for (const breaker of registry.list()) breaker.dispose()
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/circuits`, registry, log }
}

describe('against @tripswitch/dashboard', () => {
  it('lists the registry with rates, hostile names escaped in the table and exact in JSON', async () => {
    const { url, registry } = await instance(['inventory', HOSTILE])
    await registry.get('inventory').execute(() => 'ok')
    const table = await cli(['ls', '--url', url], { tty: true })
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/NAME\s+STATE\s+FAILURES\s+SLOW\s+CALLS\/S/)
    expect(withoutColour(table.stdout)).not.toContain(ESC)
    expect(table.stdout).toContain('\\x1b[2J\\u202e')
    const json = JSON.parse((await cli(['ls', '--json', '--url', url])).stdout) as {
      name: string
    }[]
    expect(json.map((row) => row.name).sort()).toEqual(['inventory', HOSTILE].sort())
  })

  it('acts when authorize allows it, and the breaker moves', async () => {
    const { url, registry, log } = await instance(['payments', HOSTILE])
    for (const [action, state] of [
      ['open', 'forced_open'],
      ['disable', 'disabled'],
      ['close', 'closed'],
      ['open', 'forced_open'],
      ['reset', 'closed'],
    ] as const) {
      const { code, stdout, stderr } = await cli([action, 'payments', '--url', url, ...AUTH])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout).toBe(`payments: ${state}\n`)
      expect(registry.get('payments').state).toBe(state)
    }
    expect(log.at(-1)).toMatchObject({
      who: 'ops',
      action: 'reset',
      name: 'payments',
      allowed: true,
    })
    const hostile = await cli(['open', HOSTILE, '--url', url, ...AUTH])
    expect(hostile.code).toBe(0)
    expect(registry.get(HOSTILE).state).toBe('forced_open')
  })

  it('exits 1 when refused (403): nothing moves, the attempt is logged', async () => {
    const { url, registry, log } = await instance(['payments'])
    const { code, stderr } = await cli([
      'open',
      'payments',
      '--url',
      url,
      '--header',
      'Authorization: Bearer wrong',
    ])
    expect(code).toBe(1)
    expect(stderr).toMatch(/answered 403 \(refused/)
    expect(registry.get('payments').state).toBe('closed')
    expect(log.at(-1)).toMatchObject({ action: 'open', name: 'payments', allowed: false })
  })

  it('exits 1 for a circuit the instance does not know (404), and for a wrong mount point', async () => {
    const { url } = await instance(['payments'])
    const unknown = await cli(['close', 'paymnets', '--url', url, ...AUTH])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no circuit "paymnets"')
    const wrong = await cli(['ls', '--url', url.replace('/circuits', '/nope')])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/answered 404 .*mount point/)
  })

  it('watches transitions as they happen, until interrupted (exit 0)', async () => {
    const { url, registry } = await instance(['search'])
    const out = new Collector()
    const stop = new AbortController()
    const done = cli(['watch', '--json', '--url', url], { stdout: out, signal: stop.signal })
    await until(() => out.text.includes('"name":"search"'))
    const breaker = registry.get('search')
    for (let i = 0; i < 2; i++)
      await breaker
        .execute(() => {
          throw new Error('down')
        })
        .catch(() => {})
    expect(breaker.state).toBe('open')
    await until(() => out.text.includes('"from":"closed","to":"open"'))
    stop.abort()
    const { code, stderr } = await done
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('shows the fleet of a RedisStore: instances, and circuits this instance never created', async () => {
    const prefix = uniquePrefix()
    const clients = [
      new Redis(REDIS_URL, { lazyConnect: true }),
      new Redis(REDIS_URL, { lazyConnect: true }),
    ]
    await Promise.all(clients.map((client) => client.connect()))
    const stores = clients.map(
      (client) => new RedisStore({ client, prefix, pollInterval: 200, syncInterval: 50 }),
    )
    cleanups.push(() => {
      for (const store of stores) store.close()
      for (const client of clients) client.disconnect()
    })
    const here = await instance(['shared'], stores[0])
    const elsewhere = await instance(['shared', 'only-elsewhere'], stores[1])
    await until(() => elsewhere.registry.size === 2)
    let rows: { name: string; instances: { id: string }[] | null }[] = []
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline) {
      rows = JSON.parse((await cli(['ls', '--json', '--url', here.url])).stdout)
      if (
        rows.some((row) => row.name === 'only-elsewhere') &&
        rows.find((r) => r.name === 'shared')?.instances?.length === 2
      )
        break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(rows.map((row) => row.name)).toEqual(['only-elsewhere', 'shared'])
    expect(rows[0]!.instances!.map((i) => i.id)).toEqual([stores[1]!.instanceId])
    expect(rows[1]!.instances!.map((i) => i.id).sort()).toEqual(
      stores.map((s) => s.instanceId).sort(),
    )
    // An action on the fleet-only circuit, through the instance that never created it.
    const { code } = await cli(['open', 'only-elsewhere', '--url', here.url, ...AUTH])
    expect(code).toBe(0)
    await until(() => elsewhere.registry.get('only-elsewhere').state === 'forced_open')
  })
})
