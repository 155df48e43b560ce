import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { appWith, statusHandler } from './support.ts'

// Fastify answers HEAD for every GET route with the GET handler: the two are one endpoint
// to the dependency behind it, so they count in one circuit.

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app)
  return app.listen({ port: 0, host: '127.0.0.1' })
}

describe('HEAD requests', () => {
  it.each([
    ['config form', 'config'],
    ['compat form', 'compat'],
    ['global', 'global'],
  ] as const)('go through the GET route’s circuit (%s)', async (_label, form) => {
    const { app } = await appWith({ threshold: 2, global: form === 'global' })
    const options =
      form === 'config'
        ? { config: { circuitBreaker: {} } }
        : form === 'compat'
          ? { preHandler: app.circuitBreaker() }
          : {}
    app.get('/offer', options, statusHandler)
    const base = await listen(app)

    expect((await fetch(`${base}/offer?status=500`, { method: 'HEAD' })).status).toBe(500)
    expect(app.circuitBreakers.get('GET /offer').snapshot().consecutiveFailures).toBe(1)
    expect((await fetch(`${base}/offer?status=500`)).status).toBe(503)
    expect(app.circuitBreakers.get('GET /offer').state).toBe('open')
    const head = await fetch(`${base}/offer`, { method: 'HEAD' })
    expect(head.status).toBe(503)
    expect(head.headers.get('retry-after')).not.toBeNull()
    expect(app.circuitBreakers.has('HEAD /offer')).toBe(false)
    expect(app.circuitBreakers.list().map((b) => b.name)).toEqual(['GET /offer'])
  })

  it('keep a circuit of their own on an explicit HEAD route', async () => {
    const { app } = await appWith({ threshold: 2 })
    app.head('/file', { config: { circuitBreaker: {} } }, (_request, reply) =>
      reply.code(500).send(),
    )
    app.get('/file', { config: { circuitBreaker: {} } }, statusHandler)
    const base = await listen(app)
    expect((await fetch(`${base}/file`, { method: 'HEAD' })).status).toBe(500)
    expect((await fetch(`${base}/file`, { method: 'HEAD' })).status).toBe(503)
    expect(app.circuitBreakers.get('HEAD /file').state).toBe('open')
    expect((await fetch(`${base}/file`)).status).toBe(200)
    expect(app.circuitBreakers.get('GET /file').state).toBe('closed')
  })

  it('share the circuit under a prefix, and with a GET route given several methods', async () => {
    const { app } = await appWith({ threshold: 2 })
    await app.register(
      async (child) => {
        child.route({
          method: ['GET', 'POST'],
          url: '/items',
          config: { circuitBreaker: {} },
          handler: statusHandler,
        })
      },
      { prefix: '/v1' },
    )
    const base = await listen(app)
    expect((await fetch(`${base}/v1/items?status=500`, { method: 'HEAD' })).status).toBe(500)
    expect((await fetch(`${base}/v1/items?status=500`, { method: 'POST' })).status).toBe(503)
    expect((await fetch(`${base}/v1/items`, { method: 'HEAD' })).status).toBe(503)
    expect(app.circuitBreakers.list().map((b) => b.name)).toEqual(['GET,POST /v1/items'])
  })
})
