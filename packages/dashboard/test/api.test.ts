import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type CircuitDetail, createDashboard, type DashboardState } from '../src/index.ts'
import { type Answer, ask, fail, fakeRegistry, listen, serve, succeed, until } from './helpers.ts'

type Served = Awaited<ReturnType<typeof serve>>
let served: Served | undefined
afterEach(async () => {
  await served?.stop()
  served = undefined
})

async function start(options: Parameters<typeof serve>[0] = {}): Promise<Served> {
  served = await serve(options)
  return served
}

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  `"'quotes'"`,
  '__proto__',
  'constructor',
  'a/b?c#d',
  'pct%2Fname%',
  'pair 😀 and lone \uD800',
  ' ',
]

function expectCommonHeaders(answer: Answer): void {
  expect(answer.headers['x-content-type-options']).toBe('nosniff')
  expect(answer.headers['cache-control']).toBe('no-store')
  expect(answer.headers['referrer-policy']).toBe('no-referrer')
  expect(answer.headers['x-frame-options']).toBe('DENY')
}

describe('GET /api/circuits', () => {
  it('lists every circuit with snapshot, totals and rate, sorted by name', async () => {
    const { registry, port } = await start()
    await succeed(registry, 'b-service')
    await fail(registry, 'a-service', new Error('boom'))
    const answer = await ask(port, { path: '/api/circuits' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
    expectCommonHeaders(answer)
    const state = answer.json as DashboardState
    expect(state.instance).toBe(`${hostname()}:${process.pid}`)
    expect(state.canAct).toBe(false)
    expect(state.fleet).toBeNull()
    expect(Math.abs(state.at - Date.now())).toBeLessThan(60_000)
    expect(state.circuits.map((c) => c.name)).toEqual(['a-service', 'b-service'])
    const a = state.circuits[0]!
    expect(a).toMatchObject({ state: 'closed', mode: 'enforce', calls: 1, failures: 1 })
    expect(a).toMatchObject({ failureRate: 1, consecutiveFailures: 1, callsPerSecond: 0 })
    expect(a.totals).toMatchObject({ calls: 1, failed: 1, successful: 0 })
    expect(Object.keys(a).sort()).toEqual(
      [
        'activeCalls',
        'calls',
        'callsPerSecond',
        'consecutiveFailures',
        'failureRate',
        'failures',
        'generation',
        'mode',
        'name',
        'retryAfterMs',
        'slowCallRate',
        'slowCalls',
        'state',
        'totals',
      ].sort(),
    )
  })

  it('says canAct when an authorize option is given', async () => {
    const { port } = await start({ authorize: () => false })
    expect(((await ask(port, { path: '/api/circuits' })).json as DashboardState).canAct).toBe(true)
  })

  it('answers HEAD with the headers and no body', async () => {
    const { port } = await start()
    const answer = await ask(port, { method: 'HEAD', path: '/api/circuits' })
    expect(answer.status).toBe(200)
    expect(answer.text).toBe('')
    expectCommonHeaders(answer)
  })

  it('computes calls per second from the totals between samples', async () => {
    const { registry, port } = await start({ intervalMs: 20 })
    await succeed(registry, 'busy')
    const first = (await ask(port, { path: '/api/circuits' })).json as DashboardState
    expect(first.circuits[0]!.callsPerSecond).toBe(0)
    for (let i = 0; i < 20; i++) await succeed(registry, 'busy')
    await until(async () => {
      const state = (await ask(port, { path: '/api/circuits' })).json as DashboardState
      return state.circuits[0]!.callsPerSecond > 0
    })
  })
})

describe('names are data', () => {
  it.each(HOSTILE)('round-trips %j through the list and its own URL', async (name) => {
    const { registry, port } = await start()
    await fail(registry, name, new Error('x'))
    const list = await ask(port, { path: '/api/circuits' })
    expect((list.json as DashboardState).circuits.map((c) => c.name)).toEqual([name])
    // Raw text: no markup survives unescaped in a JSON body served as JSON.
    expect(list.headers['content-type']).toMatch(/^application\/json/)
    const path = `/api/circuits/${encodeURIComponent(name.replace('\uD800', '\uFFFD'))}`
    const detail = await ask(port, { path })
    if (name.includes('\uD800')) expect(detail.status).toBe(404)
    else {
      expect(detail.status).toBe(200)
      expect((detail.json as CircuitDetail).name).toBe(name)
    }
  })

  it('a lone surrogate is escaped in JSON, not mangled', async () => {
    const { registry, port } = await start()
    await succeed(registry, 'x\uD800y')
    const list = await ask(port, { path: '/api/circuits' })
    expect(list.text).toContain('x\\ud800y')
  })

  it.each([
    ['%', 'a lone %'],
    ['%zz', 'non-hex digits'],
    ['%E0%A4%A', 'a truncated sequence'],
    ['%ED%A0%80', 'an encoded lone surrogate'],
    ['%C0%AF', 'an overlong encoding'],
    ['%FF', 'an invalid UTF-8 byte'],
  ])('malformed percent-encoding %s (%s) is a 400, not a crash', async (segment) => {
    const { port } = await start()
    for (const path of [`/api/circuits/${segment}`, `/api/circuits/${segment}/open`]) {
      const post = path.endsWith('/open')
      const answer = await ask(port, {
        method: post ? 'POST' : 'GET',
        path,
        headers: { 'x-tripswitch-action': '1', 'content-type': 'application/json' },
        ...(post ? { body: '{}' } : {}),
      })
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({ error: { code: 'bad_request' } })
      expectCommonHeaders(answer)
    }
    expect((await ask(port, { path: '/api/circuits' })).status).toBe(200)
  })

  it('a 10,000-character name is a 404, and its text is not echoed', async () => {
    const { port } = await start()
    const name = `<script>${'x'.repeat(10_000)}`
    const answer = await ask(port, { path: `/api/circuits/${encodeURIComponent(name)}` })
    expect(answer.status).toBe(404)
    expect(answer.json).toEqual({ error: { code: 'not_found', message: 'No such circuit.' } })
  })

  it('an encoded slash stays inside the name', async () => {
    const { registry, port } = await start()
    await succeed(registry, 'a/b')
    const answer = await ask(port, { path: '/api/circuits/a%2Fb' })
    expect((answer.json as CircuitDetail).name).toBe('a/b')
    expect((await ask(port, { path: '/api/circuits/a/b' })).status).toBe(404)
  })
})

describe('GET /api/circuits/:name', () => {
  it('gives history samples and the last transitions, never an error', async () => {
    const secret = 'db-7.secret-host.internal:5432'
    const { registry, clock, port } = await start({ sampleMs: 20 })
    for (let i = 0; i < 2; i++) await fail(registry, 'orders', new Error(`ECONNREFUSED ${secret}`))
    clock!.advance(10_000)
    expect(registry.get('orders').state).toBe('half_open')
    await succeed(registry, 'orders')
    registry.get('orders').forceOpen()
    registry.get('orders').disable()
    registry.get('orders').reset()
    await until(async () => {
      const detail = (await ask(port, { path: '/api/circuits/orders' })).json as CircuitDetail
      return detail.history.length >= 3
    })
    const answer = await ask(port, { path: '/api/circuits/orders' })
    expect(answer.text).not.toContain('secret-host')
    expect(answer.text).not.toContain('ECONNREFUSED')
    const detail = answer.json as CircuitDetail
    expect(detail.fleet).toBeNull()
    expect(detail.transitions.map(({ from, to, reason }) => [from, to, reason])).toEqual([
      ['closed', 'open', 'threshold'],
      ['open', 'half_open', 'recovery-timeout'],
      ['half_open', 'closed', 'probe-succeeded'],
      ['closed', 'forced_open', 'forced'],
      ['forced_open', 'disabled', 'disabled'],
      ['disabled', 'closed', 'reset'],
    ])
    for (const t of detail.transitions) {
      expect(Object.keys(t).sort()).toEqual(['at', 'from', 'name', 'reason', 'to'])
      expect(t.name).toBe('orders')
    }
    const sample = detail.history.at(-1)!
    expect(Object.keys(sample).sort()).toEqual([
      'at',
      'callsPerSecond',
      'failureRate',
      'slowCallRate',
    ])
    const times = detail.history.map((s) => s.at)
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })

  it('keeps the last 50 transitions', async () => {
    const { registry, port } = await start()
    const breaker = registry.get('flappy')
    for (let i = 0; i < 40; i++) {
      breaker.forceOpen()
      breaker.reset()
    }
    const detail = (await ask(port, { path: '/api/circuits/flappy' })).json as CircuitDetail
    expect(detail.transitions).toHaveLength(50)
    expect(detail.transitions.at(-1)).toMatchObject({ from: 'forced_open', to: 'closed' })
  })

  it('is a 404 for an unknown circuit', async () => {
    const { port } = await start()
    const answer = await ask(port, { path: '/api/circuits/nope' })
    expect(answer.status).toBe(404)
    expect(answer.json).toMatchObject({ error: { code: 'not_found' } })
    expectCommonHeaders(answer)
  })
})

describe('page and assets', () => {
  it('serves the page with the mount prefix, a strict CSP and no inline script', async () => {
    const { port } = await start({ basePath: '/ops/circuits' })
    const answer = await ask(port, { path: '/ops/circuits/' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
    expectCommonHeaders(answer)
    expect(answer.headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    expect(answer.text).toContain('<meta name="tripswitch-base" content="/ops/circuits/">')
    expect(answer.text).not.toContain('%BASE%')
    expect(answer.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
  })

  it.each([
    ['app.js', 'text/javascript; charset=utf-8'],
    ['app.css', 'text/css; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ])('serves assets/%s as %s', async (file, type) => {
    const { port } = await start()
    const answer = await ask(port, { path: `/assets/${file}` })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe(type)
    expect(answer.text.length).toBeGreaterThan(0)
    expectCommonHeaders(answer)
  })

  it('serves every module of assets/js as JavaScript, with the common headers', async () => {
    const { port } = await start()
    const modules = readdirSync(join(import.meta.dirname, '../assets/js'))
    expect(modules).toContain('api.js')
    for (const file of modules) {
      const answer = await ask(port, { path: `/assets/js/${file}` })
      expect(answer.status, file).toBe(200)
      expect(answer.headers['content-type'], file).toBe('text/javascript; charset=utf-8')
      expect(answer.text, file).toContain('// @ts-check')
      expectCommonHeaders(answer)
    }
  })

  it('answers 404 to asset paths that are not exactly a file: no traversal, no decoding', async () => {
    const { port } = await start()
    for (const path of [
      '/assets/../package.json',
      '/assets/%2e%2e/src/index.ts',
      '/assets/%2E%2E/package.json',
      '/assets/js/../app.js',
      '/assets/./app.js',
      '/assets//app.js',
      '/assets/js%2fmain.js',
      '/assets/js%2Fapi.js',
      '/assets/js%5Capi.js',
      '/assets/js\\api.js',
      '/assets/js/api.js%00',
      '/assets/js/api.js%00.png',
      '/assets/%6A%73/api.js',
      '/assets/index.html',
      '/assets/js',
      '/assets/js/',
      '/assets/',
      '/assets/js/types.ts',
      `/assets/${encodeURIComponent('<img src=x onerror=alert(1)>')}.js`,
    ]) {
      const answer = await ask(port, { path })
      expect(answer.status, path).toBe(404)
      expect(answer.text, path).not.toContain('@ts-check')
      expectCommonHeaders(answer)
    }
  })

  it('redirects the prefix without its slash', async () => {
    const { port } = await start({ basePath: '/circuits' })
    const answer = await ask(port, { path: '/circuits?x=1' })
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe('/circuits/')
    expectCommonHeaders(answer)
  })

  it('answers 404 outside its paths, and outside its basePath', async () => {
    const { port } = await start({ basePath: '/circuits' })
    for (const path of [
      '/',
      '/circuitsx',
      '/other/api/circuits',
      '/circuits/assets/../x',
      '/circuits/api/nope',
      '/circuits/api/circuits/a/explode',
    ]) {
      const answer = await ask(port, { path })
      expect(answer.status, path).toBe(404)
      expectCommonHeaders(answer)
    }
  })

  it('refuses other methods with 405 and Allow', async () => {
    const { port } = await start()
    for (const [method, path] of [
      ['PUT', '/api/circuits'],
      ['DELETE', '/'],
      ['POST', '/api/events'],
      ['PATCH', '/assets/app.js'],
      ['POST', '/api/circuits/x'],
    ] as const) {
      const answer = await ask(port, { method, path })
      expect(answer.status, `${method} ${path}`).toBe(405)
      expect(answer.headers.allow).toBe('GET, HEAD')
      expectCommonHeaders(answer)
    }
  })
})

describe('the mount prefix', () => {
  it('is escaped where the page shows it', async () => {
    const registry = fakeRegistry().registry
    const dashboard = createDashboard({ registry })
    const hostile = '/x"><img src=x onerror=alert(1)>\''
    const server = await listen((req, res) =>
      dashboard(Object.assign(req, { baseUrl: hostile }), res),
    )
    try {
      const page = await ask(server.port, { path: '/' })
      expect(page.status).toBe(200)
      expect(page.text).not.toContain('<img src=x')
      expect(page.text).toContain(
        'content="/x&#34;&#62;&#60;img src=x onerror=alert(1)&#62;&#39;/"',
      )
    } finally {
      dashboard.close()
      await server.close()
    }
  })

  it('never starts with two slashes (no protocol-relative URL)', async () => {
    const registry = fakeRegistry().registry
    const dashboard = createDashboard({ registry })
    const server = await listen((req, res) =>
      dashboard(
        Object.assign(req, { baseUrl: '//evil.example', originalUrl: '//evil.example' }),
        res,
      ),
    )
    try {
      const answer = await ask(server.port, { path: '/' })
      expect(answer.status).toBe(302)
      expect(answer.headers.location).toBe('/evil.example/')
    } finally {
      dashboard.close()
      await server.close()
    }
  })
})

describe('timers', () => {
  // A timer left referenced would keep the child running until execFileSync's timeout throws.
  it('never keep the process alive', { timeout: 40_000 }, () => {
    const entry = pathToFileURL(join(import.meta.dirname, '../src/index.ts')).href
    const code = `
      import { CircuitBreakerRegistry } from '@tripswitch/core'
      import { createDashboard } from '${entry}'
      const registry = new CircuitBreakerRegistry()
      registry.get('x')
      createDashboard({ registry, sampleMs: 10, intervalMs: 10 })
    `
    const output = execFileSync(
      process.execPath,
      ['--conditions=@tripswitch/source', '--import', 'tsx', '--input-type=module', '-e', code],
      { cwd: join(import.meta.dirname, '..'), timeout: 30_000, encoding: 'utf8' },
    )
    expect(output).toBe('')
  })
})
