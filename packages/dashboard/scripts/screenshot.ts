// Takes docs/images/dashboard.png: twelve circuits in mixed states after a scripted incident,
// with real traffic to a real upstream, the dashboard in Chromium. Not part of the tests.
//
//   node --conditions=@tripswitch/source --import tsx packages/dashboard/scripts/screenshot.ts [seconds]
//
// The scenario runs for `seconds` (default 90) of real time so that the charts have history.
import { fileURLToPath } from 'node:url'
import { type BreakerDefaults, CircuitBreakerRegistry } from '@tripswitch/core'
import { createDashboard } from '../src/index.ts'
import { callThrough, launchBrowser, listen } from '../test/browser-helpers.ts'

/** What the upstream of a circuit does `t` seconds into the scenario. */
interface Behaviour {
  /** Probability that a call fails (503). */
  fail: number
  /** Milliseconds the upstream takes to answer. */
  delayMs: number
  /** Probability that a call is slow (takes `slowMs`). */
  slow?: number
}

type Profile = (t: number) => Behaviour

const ok: Profile = () => ({ fail: 0, delayMs: 5 })
const CIRCUITS: Record<string, { everyMs: number; profile: Profile; options?: BreakerDefaults }> = {
  'payments-api': {
    everyMs: 60,
    profile: (t) => ({ fail: t > 25 && t < 50 ? 0.85 : 0.02, delayMs: 20 }),
  },
  'inventory-db': { everyMs: 80, profile: () => ({ fail: 0.04, delayMs: 8 }) },
  search: { everyMs: 50, profile: () => ({ fail: 0.01, delayMs: 30, slow: 0.12 }) },
  recommendations: {
    everyMs: 120,
    profile: (t) => ({ fail: t > 62 ? 0.9 : 0.05, delayMs: 15 }),
  },
  // Down, then hanging: the probe that goes through at recovery stays in flight (half-open).
  'shipping-quotes': {
    everyMs: 150,
    profile: (t) => ({ fail: t > 35 && t < 68 ? 1 : 0, delayMs: t >= 68 ? 60_000 : 10 }),
    options: { halfOpenMaxWait: 120_000 },
  },
  'email-provider': { everyMs: 400, profile: ok },
  'fraud-check': { everyMs: 100, profile: () => ({ fail: 0.03, delayMs: 40, slow: 0.35 }) },
  'currency-rates': { everyMs: 300, profile: ok },
  'user-profile': { everyMs: 30, profile: () => ({ fail: 0.005, delayMs: 4 }) },
  pricing: {
    everyMs: 90,
    profile: (t) => ({ fail: 0.1 + 0.15 * Math.sin(t / 9) ** 2, delayMs: 12 }),
  },
  'tax-service': { everyMs: 200, profile: ok },
  'image-cdn': { everyMs: 70, profile: () => ({ fail: 0.01, delayMs: 6 }) },
}
const SLOW_MS = 450

const seconds = Number(process.argv[2] ?? 90)
const output = fileURLToPath(new URL('../../../docs/images/dashboard.png', import.meta.url))

const upstream = await listen((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream')
  const delay = Number(url.searchParams.get('delay') ?? 0)
  const status = Number(url.searchParams.get('status') ?? 200)
  const timer = setTimeout(() => {
    res.statusCode = status
    res.end()
  }, delay)
  res.on('close', () => clearTimeout(timer))
})
const registry = new CircuitBreakerRegistry({
  defaults: {
    strategy: 'rate',
    windowMs: 10_000,
    minimumCalls: 10,
    failureRateThreshold: 0.5,
    slowCallMs: 300,
    slowCallRateThreshold: 0.8,
    recoveryTimeout: 15_000,
  },
})
const dashboard = createDashboard({
  registry,
  authorize: () => ({ who: 'screenshot' }),
  sampleMs: 2_000,
  log: () => {},
})
const server = await listen((req, res) => dashboard(req, res, () => res.end()))

const started = Date.now()
const elapsed = () => (Date.now() - started) / 1000
const timers: NodeJS.Timeout[] = []
for (const [name, { everyMs, profile, options }] of Object.entries(CIRCUITS)) {
  const breaker = registry.get(name, options)
  timers.push(
    setInterval(() => {
      const b = profile(elapsed())
      const slow = Math.random() < (b.slow ?? 0)
      const status = Math.random() < b.fail ? 503 : 200
      const delay = slow ? SLOW_MS : b.delayMs * (0.5 + Math.random())
      void callThrough(
        breaker,
        `${upstream.url}/${name}?status=${status}&delay=${Math.round(delay)}`,
      )
    }, everyMs),
  )
}
// What operators did during the incident.
timers.push(setTimeout(() => registry.get('currency-rates').forceOpen(), 30_000))
timers.push(setTimeout(() => registry.get('tax-service').disable(), 45_000))

const browser = await launchBrowser({ width: 1360, height: 1000 })
try {
  const page = await browser.context.newPage()
  await page.goto(`${server.url}/`)
  await page.locator('#sort').selectOption('trouble')
  await page.waitForTimeout(seconds * 1000)
  await page.locator('tr.circuit', { hasText: 'payments-api' }).locator('button.expand').click()
  await page.waitForTimeout(1_500)
  await page.screenshot({ path: output, fullPage: true })
  console.log(`wrote ${output} after ${Math.round(elapsed())} s`)
} finally {
  for (const timer of timers) clearInterval(timer)
  await browser.close()
  dashboard.close()
  await server.close()
  await upstream.close()
}
