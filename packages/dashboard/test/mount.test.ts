import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { createDashboard, type Dashboard, type DashboardState } from '../src/index.ts'
import { act, ask, type EventClient, listen, openEvents, succeed } from './helpers.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function dashboardOf(registry: CircuitBreakerRegistry): Dashboard {
  const dashboard = createDashboard({ registry, authorize: () => ({ who: 'ops' }), log: () => {} })
  cleanups.push(() => dashboard.close())
  return dashboard
}

async function events(port: number, path: string): Promise<EventClient> {
  const client = await openEvents(port, path)
  cleanups.push(() => client.close())
  return client
}

/** What every mount must do: page at the prefix, API, actions, stream. */
async function expectMounted(port: number, registry: CircuitBreakerRegistry): Promise<void> {
  await succeed(registry, 'payments')
  const page = await ask(port, { path: '/circuits/' })
  expect(page.status).toBe(200)
  expect(page.headers['content-security-policy']).toContain("script-src 'self'")
  expect(page.text).toContain('<meta name="tripswitch-base" content="/circuits/">')
  const bare = await ask(port, { path: '/circuits' })
  expect(bare.status).toBe(302)
  expect(bare.headers.location).toBe('/circuits/')
  const script = await ask(port, { path: '/circuits/assets/app.js' })
  expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
  const module = await ask(port, { path: '/circuits/assets/js/api.js' })
  expect(module.status).toBe(200)
  expect(module.headers['content-type']).toBe('text/javascript; charset=utf-8')
  const list = await ask(port, { path: '/circuits/api/circuits' })
  expect((list.json as DashboardState).circuits.map((c) => c.name)).toEqual(['payments'])
  const action = await act(port, '/circuits/api/circuits/payments/open', '{"reason":"drill"}')
  expect(action.json).toEqual({ name: 'payments', action: 'open', state: 'forced_open' })
  expect(registry.get('payments').state).toBe('forced_open')
  const form = await act(port, '/circuits/api/circuits/payments/close', 'a=1', {
    'x-tripswitch-action': '1',
    'content-type': 'application/x-www-form-urlencoded',
  })
  expect(form.status).toBe(415)
  const stream = await events(port, '/circuits/api/events')
  expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
  expect((await stream.next(() => true)).event).toBe('snapshot')
  registry.get('payments').reset()
  const transition = await stream.next((e) => e.event === 'transition')
  expect(JSON.parse(transition.data)).toMatchObject({ from: 'forced_open', to: 'closed' })
}

describe('Express: app.use(path, dashboard)', () => {
  it('serves the dashboard at the prefix, after a JSON body parser too', async () => {
    const registry = new CircuitBreakerRegistry()
    const app = express()
    app.use(express.json())
    app.use('/circuits', dashboardOf(registry))
    app.get('/circuits/health', (_req, res) => {
      res.send('passed on')
    })
    const server = await listen(app)
    cleanups.push(() => server.close())
    await expectMounted(server.port, registry)
    // A path the dashboard does not serve goes on to the app's next handler.
    expect((await ask(server.port, { path: '/circuits/health' })).text).toBe('passed on')
    expect((await ask(server.port, { path: '/elsewhere' })).status).toBe(404)
  })

  it('reads the body itself without a body parser', async () => {
    const registry = new CircuitBreakerRegistry()
    const app = express()
    app.use('/circuits', dashboardOf(registry))
    const server = await listen(app)
    cleanups.push(() => server.close())
    await expectMounted(server.port, registry)
  })
})

describe('Fastify: app.register(dashboard.fastifyPlugin, { prefix })', () => {
  it('serves the dashboard at the prefix, the app keeping its own JSON parser', async () => {
    const registry = new CircuitBreakerRegistry()
    const app = Fastify()
    app.register(dashboardOf(registry).fastifyPlugin, { prefix: '/circuits' })
    app.post('/echo', async (request) => request.body)
    await app.listen({ port: 0, host: '127.0.0.1' })
    cleanups.push(() => app.close())
    const { port } = app.server.address() as AddressInfo
    await expectMounted(port, registry)
    const echo = await ask(port, {
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(echo.json).toEqual({ a: 1 })
    const head = await ask(port, { method: 'HEAD', path: '/circuits/api/circuits' })
    expect(head.status).toBe(200)
    expect((await ask(port, { path: '/circuits/nope' })).status).toBe(404)
  })
})

describe('Nest: app.use(path, dashboard) on the Nest application', () => {
  // The decorator applied as a function: no decorator syntax to compile. The registry is a
  // plain provider: @tripswitch/nestjs depends on this package, not the other way round.
  class AppModule {}
  Module({
    providers: [
      {
        provide: CircuitBreakerRegistry,
        useValue: new CircuitBreakerRegistry({ maxBreakers: 100 }),
      },
    ],
  })(AppModule)

  it('on the Express platform (its JSON body parser on)', async () => {
    const app = await NestFactory.create(AppModule, { logger: false })
    const registry = app.get(CircuitBreakerRegistry)
    app.use('/circuits', dashboardOf(registry))
    await app.listen(0, '127.0.0.1')
    cleanups.push(() => app.close())
    const { port } = app.getHttpServer().address() as AddressInfo
    await expectMounted(port, registry)
  })

  it('on the Fastify platform', async () => {
    const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
    const registry = app.get(CircuitBreakerRegistry)
    app.use('/circuits', dashboardOf(registry))
    await app.listen(0, '127.0.0.1')
    cleanups.push(() => app.close())
    const { port } = app.getHttpServer().address() as AddressInfo
    await expectMounted(port, registry)
  })
})
