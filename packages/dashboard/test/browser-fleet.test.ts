import { randomUUID } from 'node:crypto'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboard, type Dashboard } from '../src/index.ts'
import {
  callThrough,
  type Listening,
  launchBrowser,
  listen,
  startUpstream,
  type TestBrowser,
  type Upstream,
  watchPage,
} from './browser-helpers.ts'

// The fleet view in Chromium: two instances share the machine's redis-server (a prefix of their
// own); the dashboard of instance A shows the circuit only instance B holds, and acts on it.

const POLL = { timeout: 8_000, interval: 50 }
const prefix = `dashboard-fleet-${randomUUID()}:`

let browser: TestBrowser
let upstream: Upstream
let server: Listening
let dashboard: Dashboard
const clients: Redis[] = []
const stores: RedisStore[] = []

function instance(id: string): CircuitBreakerRegistry {
  const client = new Redis({ host: '127.0.0.1', port: 6379 })
  const store = new RedisStore({ client, prefix, instanceId: id, pollInterval: 100 })
  clients.push(client)
  stores.push(store)
  return new CircuitBreakerRegistry({ store, defaults: { errorThreshold: 2 } })
}

let a: CircuitBreakerRegistry
let b: CircuitBreakerRegistry

beforeAll(async () => {
  browser = await launchBrowser()
  upstream = await startUpstream()
  a = instance('pod-a')
  b = instance('pod-b')
  await callThrough(a.get('orders'), upstream.url)
  await callThrough(b.get('orders'), upstream.url)
  upstream.failing = true
  for (let i = 0; i < 2; i++) await callThrough(b.get('billing'), upstream.url)
  upstream.failing = false
  expect(b.get('billing').state).toBe('open')
  dashboard = createDashboard({
    registry: a,
    store: stores[0],
    authorize: () => ({ who: 'ops' }),
    intervalMs: 200,
    log: () => {},
  })
  server = await listen((req, res) => dashboard(req, res))
}, 30_000)

afterAll(async () => {
  await browser?.close()
  dashboard?.close()
  await server?.close()
  await upstream?.close()
  for (const store of stores) store.close()
  for (const client of clients) client.disconnect()
})

describe('fleet view in Chromium', { timeout: 30_000 }, () => {
  it('lists circuits this instance never created, with the instances that report them', async () => {
    const page = await browser.context.newPage()
    const watch = await watchPage(page)
    await page.goto(`${server.url}/`)
    const fleetRow = (name: string) =>
      page.locator('#fleet-rows > tr').filter({
        has: page.locator('th.name span:first-child').getByText(name, { exact: true }),
      })
    await expect.poll(() => fleetRow('billing').getAttribute('data-state'), POLL).toBe('open')
    expect(await fleetRow('billing').locator('td.instances').textContent()).toBe('pod-b')
    expect(await fleetRow('billing').locator('.tag').isVisible()).toBe(true)
    expect(await fleetRow('orders').locator('td.instances').textContent()).toBe(
      'pod-a (this one), pod-b',
    )
    expect(await fleetRow('orders').locator('.tag').isVisible()).toBe(false)
    // The local table holds only what instance A created.
    expect(await page.locator('#circuit-rows > tr.circuit').count()).toBe(1)

    // Closing the fleet-only circuit goes through the store and reaches instance B.
    await fleetRow('billing').getByRole('button', { name: 'Close' }).click()
    await expect.poll(() => fleetRow('billing').getAttribute('data-state'), POLL).toBe('closed')
    await expect.poll(() => b.get('billing').state, POLL).toBe('closed')
    expect(watch.consoleErrors).toEqual([])
    expect(watch.pageErrors).toEqual([])
    expect(await watch.cspViolations()).toEqual([])
    await page.close()
  })
})
