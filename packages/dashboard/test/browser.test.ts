import { type CircuitBreakerRegistry, CircuitBreakerRegistry as Registry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import express from 'express'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { type ActionLogEntry, createDashboard, type Dashboard } from '../src/index.ts'
import {
  callThrough,
  circuitRows,
  type Listening,
  launchBrowser,
  listen,
  type PageWatch,
  shownCircuits,
  startUpstream,
  type TestBrowser,
  type Upstream,
  watchPage,
} from './browser-helpers.ts'

// The page in real headless Chromium against a real server, registry and upstream. Breaker time
// is a FakeClock (open -> half_open without waiting 30 s); the page runs on real time, and each
// expectation polls the page, with a bound, until it shows what is expected.

const HOSTILE = `<img src=x onerror=alert(1)>"'`
const RECOVERY_MS = 30_000
const POLL = { timeout: 8_000, interval: 50 }

let browser: TestBrowser
let upstream: Upstream
let server: Listening
let clock: FakeClock
let registry: CircuitBreakerRegistry
const dashboards: Dashboard[] = []
const actionLog: ActionLogEntry[] = []

beforeAll(async () => {
  browser = await launchBrowser()
  upstream = await startUpstream()
  clock = new FakeClock(Date.now())
  registry = new Registry({
    clock,
    defaults: { errorThreshold: 3, recoveryTimeout: RECOVERY_MS },
  })
  const mount = (authorize?: () => boolean | { who: string }) => {
    const dashboard = createDashboard({
      registry,
      authorize,
      intervalMs: 200,
      log: (entry) => actionLog.push(entry),
    })
    dashboards.push(dashboard)
    return dashboard
  }
  const app = express()
  app.use('/circuits', mount())
  app.use(
    '/admin',
    mount(() => ({ who: 'alice' })),
  )
  app.use(
    '/viewer',
    mount(() => false),
  )
  server = await listen(app)
  for (const name of ['inventory', 'payments', 'search', 'search-suggest'])
    await callThrough(registry.get(name), upstream.url)
}, 30_000)

afterAll(async () => {
  await browser?.close()
  for (const dashboard of dashboards) dashboard.close()
  await server?.close()
  await upstream?.close()
})

/** Opens the dashboard at `mount` and waits for its first rows. */
async function open(mount: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.context.newPage()
  const watch = await watchPage(page)
  await page.goto(`${server.url}${mount}/`)
  await page.locator('html[data-rendered="true"]').waitFor()
  await circuitRows(page).first().waitFor()
  return { page, watch }
}

/** The row of circuit `name`, found by its name cell's text (no selector built from the name). */
function row(page: Page, name: string) {
  return circuitRows(page).filter({
    has: page.locator('th.name').getByText(name, { exact: true }),
  })
}

function stateOf(page: Page, name: string) {
  return row(page, name).getAttribute('data-state')
}

async function failUntilOpen(name: string): Promise<void> {
  upstream.failing = true
  for (let i = 0; i < 3; i++) await callThrough(registry.get(name), upstream.url)
  upstream.failing = false
  expect(registry.get(name).state).toBe('open')
}

describe('dashboard page in Chromium', { timeout: 30_000 }, () => {
  it('loads with no console errors and no CSP violations, read-only without authorize', async () => {
    const page = await browser.context.newPage()
    const watch = await watchPage(page)
    const response = await page.goto(`${server.url}/circuits/`)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.locator('html[data-rendered="true"]').waitFor()
    await expect
      .poll(() => shownCircuits(page), POLL)
      .toContainEqual({
        name: 'search',
        state: 'Closed',
      })
    await expect.poll(() => page.locator('#connection').textContent(), POLL).toBe('Live')
    expect(await page.locator('#read-only').isVisible()).toBe(true)
    expect(await page.locator('button.action:visible').count()).toBe(0)
    expect(watch.consoleErrors).toEqual([])
    expect(watch.pageErrors).toEqual([])
    expect(await watch.cspViolations()).toEqual([])
    await page.close()
  })

  it('shows a circuit go closed → open → half_open → closed as its upstream fails and recovers', async () => {
    const { page, watch } = await open('/circuits')
    // Every state the row shows, in order, recorded by the page itself between our polls.
    await page.evaluate(() => {
      const seen: string[] = []
      Object.assign(window, { seenStates: seen })
      const record = () => {
        for (const tr of document.querySelectorAll<HTMLElement>('#circuit-rows > tr.circuit')) {
          if (tr.querySelector('th.name')?.textContent !== 'payments') continue
          const state = tr.dataset.state ?? ''
          if (seen[seen.length - 1] !== state) seen.push(state)
        }
      }
      record()
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        attributes: true,
        attributeFilter: ['data-state'],
        childList: true,
      })
    })
    expect(await stateOf(page, 'payments')).toBe('closed')

    await failUntilOpen('payments')
    await expect.poll(() => stateOf(page, 'payments'), POLL).toBe('open')
    expect(await row(page, 'payments').locator('.state').textContent()).toBe('Open')
    expect(await page.title()).toBe('(1 open) Tripswitch circuits')
    // 3 failures in 4 calls: the chart of the row has drawn the 75 % failure rate.
    await expect
      .poll(() => row(page, 'payments').locator('svg.sparkline').getAttribute('aria-label'), POLL)
      .toMatch(/, peak 75%$/)
    await expect
      .poll(() => row(page, 'payments').locator('td.probe').textContent(), POLL)
      .toMatch(/^in (30|29|28) s$/)

    clock.advance(RECOVERY_MS)
    await expect.poll(() => stateOf(page, 'payments'), POLL).toBe('half_open')
    expect(await row(page, 'payments').locator('.state').textContent()).toBe('Half-open')

    await callThrough(registry.get('payments'), upstream.url)
    expect(registry.get('payments').state).toBe('closed')
    await expect.poll(() => stateOf(page, 'payments'), POLL).toBe('closed')

    expect(
      await page.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates),
    ).toEqual(['closed', 'open', 'half_open', 'closed'])
    const timeline = await page.evaluate(() =>
      [...document.querySelectorAll('#timeline li')].map((li) => ({
        who: li.querySelector('.who')?.textContent,
        move: li.querySelector('.move')?.textContent,
        reason: li.querySelector('.reason')?.textContent,
      })),
    )
    const moves = timeline.filter((t) => t.who === 'payments').reverse()
    expect(moves).toEqual([
      { who: 'payments', move: 'Closed → Open', reason: 'threshold' },
      { who: 'payments', move: 'Open → Half-open', reason: 'recovery-timeout' },
      { who: 'payments', move: 'Half-open → Closed', reason: 'probe-succeeded' },
    ])
    expect(watch.consoleErrors).toEqual([])
    expect(watch.pageErrors).toEqual([])
    await page.close()
  })

  it('performs an allowed action, and shows a refused one without performing it', async () => {
    const admin = await open('/admin')
    await row(admin.page, 'inventory').getByRole('button', { name: 'Force open' }).click()
    await expect.poll(() => stateOf(admin.page, 'inventory'), POLL).toBe('forced_open')
    expect(registry.get('inventory').state).toBe('forced_open')
    await expect
      .poll(() => admin.page.locator('#message').textContent(), POLL)
      .toBe('Force open: “inventory” is now forced open.')
    expect(actionLog).toContainEqual(
      expect.objectContaining({ who: 'alice', action: 'open', name: 'inventory', allowed: true }),
    )

    const viewer = await open('/viewer')
    await row(viewer.page, 'inventory').getByRole('button', { name: 'Close' }).click()
    await expect
      .poll(() => viewer.page.locator('#message').textContent(), POLL)
      .toBe('Refused: you may not close “inventory” (403).')
    expect(await viewer.page.locator('#message').getAttribute('data-kind')).toBe('error')
    expect(registry.get('inventory').state).toBe('forced_open')
    expect(await stateOf(viewer.page, 'inventory')).toBe('forced_open')
    expect(actionLog).toContainEqual(
      expect.objectContaining({ action: 'close', name: 'inventory', allowed: false }),
    )
    // The refusal is a message: the page goes on, and the only console line is the 403 itself.
    expect(viewer.watch.pageErrors).toEqual([])
    expect(viewer.watch.consoleErrors).toHaveLength(1)
    expect(viewer.watch.consoleErrors[0]).toMatch(/403/)

    await row(admin.page, 'inventory').getByRole('button', { name: 'Reset' }).click()
    await expect.poll(() => stateOf(viewer.page, 'inventory'), POLL).toBe('closed')
    expect(registry.get('inventory').state).toBe('closed')
    expect(admin.watch.consoleErrors).toEqual([])
    await admin.page.close()
    await viewer.page.close()
  })

  it('renders a hostile circuit name as text in the table, its detail, the timeline and messages', async () => {
    await callThrough(registry.get(HOSTILE), upstream.url)
    await callThrough(registry.get('__proto__'), upstream.url)
    await failUntilOpen(HOSTILE)
    const { page, watch } = await open('/admin')
    const hostile = row(page, HOSTILE)
    await expect.poll(() => hostile.getAttribute('data-state'), POLL).toBe('open')
    expect(await hostile.locator('th.name').textContent()).toBe(HOSTILE)
    expect(await row(page, '__proto__').count()).toBe(1)

    await hostile.locator('button.expand').click()
    await expect.poll(() => page.locator('tr.detail .timeline li').count(), POLL).toBeGreaterThan(0)
    await expect
      .poll(() => page.locator('#timeline .who').allTextContents(), POLL)
      .toContain(HOSTILE)
    await hostile.getByRole('button', { name: 'Force open' }).click()
    await expect
      .poll(() => page.locator('#message').textContent(), POLL)
      .toBe(`Force open: “${HOSTILE}” is now forced open.`)
    expect(registry.get(HOSTILE).state).toBe('forced_open')

    const injected = await page.evaluate(() => ({
      images: [...document.querySelectorAll('img')].map((img) => img.getAttribute('src')),
      handlers: document.querySelectorAll('[onerror]').length,
    }))
    expect(injected.images).toEqual([expect.stringMatching(/assets\/favicon\.svg$/)])
    expect(injected.handlers).toBe(0)
    expect(watch.dialogs).toEqual([])
    expect(watch.pageErrors).toEqual([])
    expect(watch.consoleErrors).toEqual([])
    expect(await watch.cspViolations()).toEqual([])
    registry.get(HOSTILE).reset()
    await page.close()
  })

  it('lists a name no URL can carry and a 256-character name, and refuses to act on the first', async () => {
    const lone = 'lone-\uD800-surrogate'
    const long = `long-${'x'.repeat(251)}`
    await callThrough(registry.get(lone), upstream.url)
    await callThrough(registry.get(long), upstream.url)
    const { page, watch } = await open('/admin')
    await page.locator('#filter-name').fill('lone-')
    await expect.poll(async () => (await shownCircuits(page)).length, POLL).toBe(1)
    const loneRow = circuitRows(page).first()
    await loneRow.locator('button.expand').click()
    await expect.poll(() => page.locator('tr.detail').count(), POLL).toBe(1)
    await loneRow.getByRole('button', { name: 'Force open' }).click()
    await expect
      .poll(() => page.locator('#message').textContent(), POLL)
      .toMatch(/^Force open: “lone-.-surrogate” has a name no URL can carry; act on it in code\.$/)
    expect(registry.get(lone).state).toBe('closed')

    await page.locator('#filter-name').fill('long-')
    await expect.poll(() => shownCircuits(page), POLL).toEqual([{ name: long, state: 'Closed' }])
    await row(page, long).getByRole('button', { name: 'Disable' }).click()
    await expect
      .poll(() => page.locator('#message').textContent(), POLL)
      .toBe(`Disable: “${long.slice(0, 80)}…” is now disabled.`)
    expect(registry.get(long).state).toBe('disabled')
    expect(watch.pageErrors).toEqual([])
    expect(watch.consoleErrors).toEqual([])
    registry.delete(lone)
    registry.delete(long)
    await page.close()
  })

  it('keeps showing the circuits when the server refuses the stream, and reconnects later', async () => {
    const single = createDashboard({ registry, maxClients: 1, intervalMs: 200 })
    const singleServer = await listen((req, res) => single(req, res))
    onTestFinished(async () => {
      single.close()
      await singleServer.close()
    })
    const first = await browser.context.newPage()
    await first.goto(`${singleServer.url}/`)
    await expect.poll(() => first.locator('#connection').textContent(), POLL).toBe('Live')

    const second = await browser.context.newPage()
    const watch = await watchPage(second)
    await second.goto(`${singleServer.url}/`)
    await expect
      .poll(() => second.locator('#connection').textContent(), POLL)
      .toBe('Disconnected, retrying…')
    // The list came from GET /api/circuits: the page is usable without its stream.
    expect(await row(second, 'search').getAttribute('data-state')).toBe('closed')
    expect(watch.pageErrors).toEqual([])
    for (const line of watch.consoleErrors) expect(line).toMatch(/503|event-stream/)

    // The page tries again 5 s after a refusal; by then the slot is free.
    await first.close()
    await expect
      .poll(() => second.locator('#connection').textContent(), { ...POLL, timeout: 15_000 })
      .toBe('Live')
    await second.close()
  })

  it('filters by name and by state', async () => {
    const { page } = await open('/circuits')
    await page.locator('#filter-name').fill('SEARCH')
    await expect
      .poll(async () => (await shownCircuits(page)).map((c) => c.name), POLL)
      .toEqual(['search', 'search-suggest'])

    await page.locator('#filter-name').fill('')
    registry.get('search-suggest').disable()
    await page.getByLabel('State', { exact: true }).selectOption('disabled')
    await expect
      .poll(() => shownCircuits(page), POLL)
      .toEqual([{ name: 'search-suggest', state: 'Disabled' }])

    // The chip of the chosen state is pressed; pressing it again clears the filter.
    const chip = page.locator('#summary button[data-state="disabled"]')
    expect(await chip.getAttribute('aria-pressed')).toBe('true')
    await chip.click()
    await expect.poll(async () => (await shownCircuits(page)).length, POLL).toBeGreaterThan(1)
    expect(await page.getByLabel('State', { exact: true }).inputValue()).toBe('')

    await page.locator('#filter-name').fill('no such circuit')
    await expect.poll(() => page.locator('#circuits-empty').isVisible(), POLL).toBe(true)
    registry.get('search-suggest').reset()
    await page.close()
  })
})

describe('dashboard page with 1,000 circuits', { timeout: 30_000 }, () => {
  const MOUNT = "/ops&it's"
  const names = Array.from({ length: 1_000 }, (_, i) => `circuit-${String(i).padStart(4, '0')}`)
  let big: CircuitBreakerRegistry
  let bigServer: Listening
  let bigDashboard: Dashboard

  beforeAll(async () => {
    // Real time here: the countdown must tick in the page. A snapshot only on connect (an
    // interval of a minute), so a changing countdown is the page's own doing.
    big = new Registry({ defaults: { errorThreshold: 1, recoveryTimeout: 60_000 } })
    for (const name of names) big.get(name)
    // A prefix with characters HTML escapes: the page reads it back from its meta tag.
    bigDashboard = createDashboard({ registry: big, basePath: MOUNT, intervalMs: 60_000 })
    bigServer = await listen((req, res) => bigDashboard(req, res))
  })

  afterAll(async () => {
    bigDashboard?.close()
    await bigServer?.close()
  })

  async function openBig(): Promise<Page> {
    const page = await browser.context.newPage()
    await page.goto(`${bigServer.url}${MOUNT}/`)
    await circuitRows(page).first().waitFor()
    return page
  }

  it('shows one page of rows at a time and pages through the rest', async () => {
    const page = await openBig()
    expect(await circuitRows(page).count()).toBe(100)
    const range = page.locator('#circuits-pager .range')
    expect(await range.textContent()).toBe('1–100 of 1,000')
    await page.getByRole('button', { name: 'Next' }).click()
    await expect.poll(() => range.textContent(), POLL).toBe('101–200 of 1,000')
    expect((await shownCircuits(page))[0]?.name).toBe('circuit-0100')
    expect(await circuitRows(page).count()).toBe(100)

    await page.locator('#filter-name').fill('circuit-0999')
    await expect
      .poll(() => shownCircuits(page), POLL)
      .toEqual([{ name: 'circuit-0999', state: 'Closed' }])
    expect(await page.locator('#circuits-pager').isVisible()).toBe(false)
    await page.close()
  })

  it('updates rows in place and counts down to the next probe between snapshots', async () => {
    const page = await openBig()
    // Tag two row elements: an update must change their cells, not replace them.
    await page.evaluate(() => {
      for (const tr of document.querySelectorAll<HTMLElement>('#circuit-rows > tr.circuit'))
        Object.assign(tr, { tagged: true })
    })
    upstream.failing = true
    await callThrough(big.get('circuit-0003'), upstream.url)
    upstream.failing = false
    big.get('circuit-0005').forceOpen()
    await expect.poll(() => stateOf(page, 'circuit-0005'), POLL).toBe('forced_open')
    await expect.poll(() => stateOf(page, 'circuit-0003'), POLL).toBe('open')
    const tagged = await page.evaluate(() =>
      [...document.querySelectorAll('#circuit-rows > tr.circuit')].map(
        (tr) => (tr as unknown as { tagged?: boolean }).tagged === true,
      ),
    )
    expect(tagged).toHaveLength(100)
    expect(tagged.every(Boolean)).toBe(true)

    // The transition carries no deadline; the page asks for the state again on reconnect
    // only, so reload to get the snapshot with retryAfterMs, then watch it tick.
    await page.reload()
    const probe = row(page, 'circuit-0003').locator('td.probe')
    await expect.poll(() => probe.textContent(), POLL).toMatch(/^in \d+ s$/)
    const first = Number((await probe.textContent())?.match(/\d+/)?.[0])
    await expect
      .poll(async () => Number((await probe.textContent())?.match(/\d+/)?.[0]), POLL)
      .toBeLessThan(first)
    expect(await row(page, 'circuit-0005').locator('td.probe').textContent()).toBe('held open')
    await page.close()
  })
})
