import Fastify, { type FastifyInstance } from 'fastify'
import { FakeClock } from '../../core/src/testing/fake-clock.ts'
import circuitBreaker, { type FastifyCircuitBreakerOptions } from '../src/index.ts'

export { FakeClock }

/** The body Fastify's default error handler gives an open-circuit answer. */
export const OPEN_BODY = {
  statusCode: 503,
  code: 'FST_ERR_CIRCUIT_BREAKER_OPEN',
  error: 'Service Unavailable',
  message: 'Circuit open',
}

/** The body Fastify's default error handler gives a timeout answer. */
export const TIMEOUT_BODY = {
  statusCode: 503,
  code: 'FST_ERR_CIRCUIT_BREAKER_TIMEOUT',
  error: 'Service Unavailable',
  message: 'Timeout',
}

/** An app with the plugin registered on a fake clock (unless `registry` brings its own). */
export async function appWith(
  options: FastifyCircuitBreakerOptions = {},
): Promise<{ app: FastifyInstance; clock: FakeClock }> {
  const clock = new FakeClock(1_000_000)
  const app = Fastify()
  const withClock = options.registry === undefined ? { clock, ...options } : options
  await app.register(circuitBreaker, withClock)
  return { app, clock }
}

/** A handler answering the status in `?status=` (200 by default). */
export function statusHandler(
  request: { query: unknown },
  reply: { code(status: number): { send(body: unknown): unknown } },
): unknown {
  const status = Number((request.query as { status?: string }).status ?? 200)
  return reply.code(status).send({ status })
}

/** `count` GETs of `url`; resolves with their statuses in order. */
export async function hit(app: FastifyInstance, url: string, count = 1): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) statuses.push((await app.inject(url)).statusCode)
  return statuses
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Lets pending promise callbacks and I/O callbacks run (no timers involved). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
