/**
 * Child process of the HTTP scenario: serves GET /hello with one server variant on 127.0.0.1,
 * sends its port to the parent, and exits when the parent disconnects. Each variant runs in a
 * fresh process, so none inherits another's JIT state, and the load generator (autocannon, in
 * the parent) never shares an event loop with the server.
 */
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import fastifyBreaker from '@fastify/circuit-breaker'
import { circuitBreaker as expressBreaker } from '@tripswitch/express'
import tripswitchFastify from '@tripswitch/fastify'
import express, { type RequestHandler } from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { isVariant, type Variant } from './http-variants.ts'

const BODY = { hello: 'world' }

async function listenExpress(guard: RequestHandler | null): Promise<number> {
  const app = express()
  const handler: RequestHandler = (_req, res) => {
    res.json(BODY)
  }
  if (guard === null) app.get('/hello', handler)
  else app.get('/hello', guard, handler)
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error) reject(error)
      else resolve((server.address() as AddressInfo).port)
    })
  })
}

async function listenFastify(setup: (app: FastifyInstance) => Promise<void>): Promise<number> {
  const app = Fastify({ logger: false })
  await setup(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

async function start(variant: Variant): Promise<number> {
  switch (variant) {
    case 'express':
      return listenExpress(null)
    case 'express+tripswitch':
      return listenExpress(expressBreaker())
    case 'fastify':
      return listenFastify(async (app) => {
        app.get('/hello', async () => BODY)
      })
    case 'fastify+tripswitch':
      return listenFastify(async (app) => {
        await app.register(tripswitchFastify)
        app.get('/hello', { preHandler: app.circuitBreaker() }, async () => BODY)
      })
    case 'fastify+@fastify/circuit-breaker':
      return listenFastify(async (app) => {
        await app.register(fastifyBreaker)
        app.get('/hello', { preHandler: app.circuitBreaker() }, async () => BODY)
      })
  }
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const variant = process.argv[2]
  if (!isVariant(variant)) throw new Error(`unknown server variant ${String(variant)}`)
  const port = await start(variant)
  process.send({ port })
  process.on('disconnect', () => process.exit(0))
}
