// Measures the page with 1,000 circuits in Chromium: time to the first rendered table, the JS
// heap after load, DOM size, and the page's own CPU time per second of live updates.
//
//   node --conditions=@tripswitch/source --import tsx packages/dashboard/scripts/measure-page.ts [runs]
//
// Figures, not assertions: the tests check behaviour, this prints numbers for the README.
import { CircuitBreakerRegistry } from '@tripswitch/core'
import type { CDPSession, Page } from 'playwright-core'
import { createDashboard } from '../src/index.ts'
import { callThrough, launchBrowser, listen, startUpstream } from '../test/browser-helpers.ts'

const CIRCUITS = 1_000
const LIVE_SECONDS = 10
const runs = Number(process.argv[2] ?? 5)

const upstream = await startUpstream()
const registry = new CircuitBreakerRegistry({ defaults: { errorThreshold: 3 } })
for (let i = 0; i < CIRCUITS; i++) {
  const breaker = registry.get(`service-${String(i).padStart(4, '0')}`)
  // One in twenty open, the rest with some traffic behind them.
  upstream.failing = i % 20 === 0
  for (let call = 0; call < 3; call++) await callThrough(breaker, upstream.url)
}
upstream.failing = false
const dashboard = createDashboard({ registry })
const server = await listen((req, res) => dashboard(req, res))

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]))
}

async function loadTimes(page: Page): Promise<Omit<Run, 'heapMB' | 'cpuMsPerSecond'>> {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming
    const rendered = performance.getEntriesByName('tripswitch:rendered')[0]
    return {
      domContentLoaded: nav.domContentLoadedEventEnd,
      rendered: rendered?.startTime ?? Number.NaN,
      rows: document.querySelectorAll('#circuit-rows > tr').length,
      nodes: document.getElementsByTagName('*').length,
    }
  })
}

const browser = await launchBrowser()
interface Run {
  domContentLoaded: number
  rendered: number
  rows: number
  nodes: number
  heapMB: number
  cpuMsPerSecond: number
}
const results: Run[] = []
try {
  for (let run = 0; run < runs; run++) {
    const page = await browser.context.newPage()
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    await page.goto(`${server.url}/`)
    await page.locator('#circuit-rows > tr').first().waitFor()
    const times = await loadTimes(page)
    // Let the history seeding finish and a few snapshots arrive, then measure steady state.
    await page.waitForTimeout(3_000)
    await cdp.send('HeapProfiler.collectGarbage')
    const before = await metrics(cdp)
    await page.waitForTimeout(LIVE_SECONDS * 1000)
    const after = await metrics(cdp)
    const busy = (m: Record<string, number>) =>
      (m.ScriptDuration ?? 0) + (m.LayoutDuration ?? 0) + (m.RecalcStyleDuration ?? 0)
    results.push({
      ...times,
      heapMB: (before.JSHeapUsedSize ?? 0) / 2 ** 20,
      cpuMsPerSecond: ((busy(after) - busy(before)) * 1000) / LIVE_SECONDS,
    })
    await page.close()
  }
} finally {
  await browser.close()
  dashboard.close()
  await server.close()
  await upstream.close()
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const pick = (key: keyof Run) => median(results.map((r) => r[key]))
console.log(`${CIRCUITS} circuits, ${runs} runs (median):`)
console.log(`  DOMContentLoaded       ${pick('domContentLoaded')?.toFixed(0)} ms`)
console.log(`  first table rendered   ${pick('rendered')?.toFixed(0)} ms after navigation start`)
console.log(`  rows in the DOM        ${pick('rows')} (one page), ${pick('nodes')} elements in all`)
console.log(`  JS heap after GC       ${pick('heapMB')?.toFixed(1)} MB`)
console.log(`  page CPU, live updates ${pick('cpuMsPerSecond')?.toFixed(1)} ms per second`)
