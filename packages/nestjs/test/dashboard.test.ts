import { createHook } from 'node:async_hooks'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { Controller, Get, type INestApplication, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { InvalidOptionsError } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { loadDashboard } from '../src/circuit-breaker.dashboard.ts'
import { CircuitBreaker, TripswitchModule, type TripswitchModuleOptions } from '../src/index.ts'
import { type AdapterFactory, PLATFORMS } from './e2e/server.ts'

// Real Nest applications on 127.0.0.1 serving the dashboard through the module's `dashboard`
// option, on both platforms.

@Controller('quote')
class QuoteController {
  @Get()
  @CircuitBreaker({ name: 'quotes' })
  quote(): { price: number } {
    return { price: 42 }
  }
}

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) {
    ;(app.getHttpServer() as { closeAllConnections(): void }).closeAllConnections()
    await app.close()
  }
})

async function start(
  adapter: AdapterFactory,
  dashboard: TripswitchModuleOptions['dashboard'],
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [TripswitchModule.forRoot({ maxBreakers: 50, logTransitions: false, dashboard })],
    controllers: [QuoteController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, adapter(), { logger: false })
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') }
}

const silent = { log: () => {} }
const ACTION = { 'content-type': 'application/json', 'x-tripswitch-action': '1' }

function act(url: string, path: string): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: ACTION, body: '{"reason":"drill"}' })
}

/** Opens the event stream and resolves once its first chunk arrived; `ended` settles at its end. */
function openStream(url: string): Promise<{ res: IncomingMessage; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/circuits/api/events`, (res) => {
      const ended = new Promise<void>((done) => {
        res.on('end', done)
        res.on('error', () => done())
        res.on('close', done)
      })
      res.once('data', () => resolve({ res, ended }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.each(PLATFORMS)('dashboard option on a real %s server', (_name, adapter) => {
  it('serves the page at /circuits/ with its base, and lists a guarded circuit after a request', async () => {
    const { url } = await start(adapter, { path: '/circuits', ...silent })
    const page = await fetch(`${url}/circuits/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain('<meta name="tripswitch-base" content="/circuits/">')
    expect((await fetch(`${url}/quote`)).status).toBe(200)
    const list = (await (await fetch(`${url}/circuits/api/circuits`)).json()) as {
      canAct: boolean
      circuits: Array<{ name: string; state: string }>
    }
    expect(list.canAct).toBe(false)
    expect(list.circuits.map((c) => [c.name, c.state])).toEqual([['quotes', 'closed']])
    // Outside the dashboard, Nest's own 404 still answers.
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404)
  })

  it('flips the circuit with an allowed action (body unread by Nest) and refuses without authorize', async () => {
    const refused = await start(adapter, { path: '/circuits', ...silent })
    await fetch(`${refused.url}/quote`)
    expect((await act(refused.url, '/circuits/api/circuits/quotes/open')).status).toBe(403)

    const log: unknown[] = []
    const { url } = await start(adapter, {
      path: '/ops/circuits',
      authorize: () => ({ who: 'ops' }),
      log: (entry) => log.push(entry),
    })
    await fetch(`${url}/quote`)
    const opened = await act(url, '/ops/circuits/api/circuits/quotes/open')
    expect(await opened.json()).toEqual({ name: 'quotes', action: 'open', state: 'forced_open' })
    expect(log).toMatchObject([{ who: 'ops', action: 'open', reason: 'drill', allowed: true }])
    expect((await fetch(`${url}/quote`)).status).toBe(503)
  })

  it('ends an open event stream on app.close() and leaves no interval running', async () => {
    const intervals = new Map<number, { _repeat: number | null }>()
    const hook = createHook({
      init(id, type, _trigger, resource) {
        if (type === 'Timeout') intervals.set(id, resource as { _repeat: number | null })
      },
      destroy(id) {
        intervals.delete(id)
      },
    }).enable()
    const live = () => [...intervals.values()].filter((timer) => timer._repeat !== null)
    try {
      const { app, url } = await start(adapter, { path: '/circuits', ...silent })
      const stream = await openStream(url)
      expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      // The hook sees the dashboard's intervals (history sampler, stream tick and ping).
      expect(live().length).toBeGreaterThanOrEqual(3)
      apps.splice(apps.indexOf(app), 1)
      await app.close()
      await stream.ended
      expect(live()).toEqual([])
    } finally {
      hook.disable()
    }
  })
})

describe('dashboard option, other ways in', () => {
  it('is read from a forRootAsync factory', async () => {
    @Module({
      imports: [
        TripswitchModule.forRootAsync({
          useFactory: async () => ({ dashboard: { path: '/status', ...silent } }),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false })
    apps.push(app)
    await app.listen(0, '127.0.0.1')
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
    const page = await fetch(`${url}/status/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('content="/status/"')
  })

  it('serves nothing, and starts no timer, in an application context without a server', async () => {
    const started: string[] = []
    const hook = createHook({
      init(_id, type) {
        if (type === 'Timeout') started.push(type)
      },
    }).enable()
    try {
      @Module({ imports: [TripswitchModule.forRoot({ dashboard: { path: '/c' } })] })
      class AppModule {}
      const context = await NestFactory.createApplicationContext(AppModule, { logger: false })
      await context.close()
    } finally {
      hook.disable()
    }
    expect(started).toEqual([])
  })
})

describe("dashboard option with the module's RedisStore", () => {
  it('shows the fleet: the store is passed to the dashboard', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true })
    await client.connect()
    const prefix = `nest-dashboard-${process.pid}-${Date.now()}:`
    const store = new RedisStore({ client, prefix })
    try {
      @Module({
        imports: [
          TripswitchModule.forRoot({ store, logTransitions: false, dashboard: { path: '/c' } }),
        ],
        controllers: [QuoteController],
      })
      class AppModule {}
      const app = await NestFactory.create(AppModule, { logger: false })
      apps.push(app)
      await app.listen(0, '127.0.0.1')
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
      await fetch(`${url}/quote`)
      const state = (await (await fetch(`${url}/c/api/circuits`)).json()) as {
        instance: string
        fleet: Array<{ name: string }> | null
      }
      expect(state.instance).toBe(store.instanceId)
      expect(state.fleet).not.toBeNull()
    } finally {
      for (const app of apps.splice(0)) {
        ;(app.getHttpServer() as { closeAllConnections(): void }).closeAllConnections()
        await app.close()
      }
      store.close()
      const keys = await client.keys(`${prefix}*`)
      if (keys.length > 0) await client.del(...keys)
      await client.quit()
    }
  })
})

describe('dashboard option: bad input', () => {
  const bad: Array<[string, unknown]> = [
    ['dashboard', 'yes'],
    ['dashboard.path', { path: undefined }],
    ['dashboard.path', { path: 'circuits' }],
    ['dashboard.path', { path: '/circuits/' }],
    ['dashboard.path', { path: '/:name' }],
    ['dashboard.path', { path: '/a/../b' }],
    ['dashboard.path', { path: `/${'x'.repeat(300)}` }],
    ['dashboard.path', { path: '/<img src=x onerror=alert(1)>' }],
    ['dashboard.registry', { path: '/c', registry: {} }],
    ['dashboard.basePath', { path: '/c', basePath: '/c' }],
    ['dashboard.authorise', { path: '/c', authorise: () => true }],
    ['dashboard.__proto__', JSON.parse('{"path":"/c","__proto__":{"authorize":1}}')],
  ]
  it.each(bad)('names %s', async (option, dashboard) => {
    @Module({ imports: [TripswitchModule.forRoot({ dashboard } as TripswitchModuleOptions)] })
    class AppModule {}
    const error = await NestFactory.create(AppModule, { logger: false, abortOnError: false }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect((error as InvalidOptionsError).option).toBe(option)
    expect(String((error as Error).message).length).toBeLessThan(400)
  })

  it.each(PLATFORMS)(
    'names dashboard.intervalMs, checked by the dashboard (%s)',
    async (_n, adapter) => {
      const error = await start(adapter, { path: '/c', intervalMs: Number.NaN }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect((error as InvalidOptionsError).option).toBe('dashboard.intervalMs')
    },
  )

  it('names the package to install when @tripswitch/dashboard is missing', async () => {
    await expect(loadDashboard('@tripswitch/not-installed')).rejects.toThrow(
      'npm install @tripswitch/not-installed',
    )
  })
})
