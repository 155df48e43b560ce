import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CircuitBreaker } from '@tripswitch/core'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { type Listening, listen } from './helpers.ts'

export { type Listening, listen }

/** Debian's Chromium; TRIPSWITCH_CHROMIUM points elsewhere (macOS, a snap). */
export const CHROMIUM_PATH: string = process.env.TRIPSWITCH_CHROMIUM || '/usr/bin/chromium'

// No GPU, no network of its own, nothing from a profile: the browser talks only to the test.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A Chromium with a fresh profile; `close()` ends it and deletes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext
  close(): Promise<void>
}

/** Launches Debian's Chromium (never a downloaded one) with a fresh user-data-dir. */
export async function launchBrowser(
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'tripswitch-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport,
  })
  return {
    context,
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/** What went wrong on a page: console errors, uncaught errors, dialogs, CSP violations. */
export interface PageWatch {
  readonly consoleErrors: string[]
  readonly pageErrors: string[]
  readonly dialogs: string[]
  /** Violations the page reported through `securitypolicyviolation` events. */
  cspViolations(): Promise<string[]>
}

declare global {
  interface Window {
    __cspViolations?: string[]
  }
}

/** Starts watching `page` for trouble; call before the first navigation. */
export async function watchPage(page: Page): Promise<PageWatch> {
  const watch = {
    consoleErrors: [] as string[],
    pageErrors: [] as string[],
    dialogs: [] as string[],
  }
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => watch.pageErrors.push(String(error)))
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  // Injected by the browser itself, outside the page's CSP: it records what the CSP blocks.
  await page.addInitScript(() => {
    window.__cspViolations = []
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations?.push(`${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  return {
    ...watch,
    cspViolations: () => page.evaluate(() => window.__cspViolations ?? []),
  }
}

/** A real HTTP upstream that answers 200, or 503 while `failing` is set. */
export interface Upstream extends Listening {
  failing: boolean
}

/** Starts an upstream on 127.0.0.1; each path can be told to fail on its own. */
export async function startUpstream(): Promise<Upstream> {
  const state = { failing: false }
  const listening = await listen((_req, res) => {
    res.statusCode = state.failing ? 503 : 200
    res.end(state.failing ? 'down' : 'ok')
  })
  return Object.assign(state, listening)
}

/**
 * One call through `breaker` to `url`: a failing status counts as a failure (fetch resolves on
 * a 503). Refusals and failures are swallowed; the outcome is what the breaker recorded.
 */
export async function callThrough(breaker: CircuitBreaker, url: string): Promise<void> {
  try {
    await breaker.execute(async () => {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (!response.ok) throw new Error(`upstream answered ${response.status}`)
    })
  } catch {
    // The breaker counted it (or refused it); the test looks at the page.
  }
}

/** The rows of the local circuits table, as the page shows them. */
export function circuitRows(page: Page): Locator {
  return page.locator('#circuit-rows > tr.circuit')
}

/** Reads, in the page, the name and state every visible local row shows. */
export function shownCircuits(page: Page): Promise<{ name: string; state: string }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('#circuit-rows > tr.circuit')].map((tr) => ({
      name: tr.querySelector('th.name')?.textContent ?? '',
      state: tr.querySelector('.state')?.textContent ?? '',
    })),
  )
}
