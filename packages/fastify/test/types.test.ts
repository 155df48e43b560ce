import type { CircuitBreakerRegistry } from '@tripswitch/core'
import Fastify, {
  type FastifyContextConfig,
  type FastifyRequest,
  type preHandlerAsyncHookHandler,
} from 'fastify'
import { describe, expect, expectTypeOf, it } from 'vitest'
import circuitBreaker, {
  type CircuitBreakerRouteOptions,
  type FastifyCircuitBreakerOptions,
  type FastifyCircuitBreakerPlugin,
} from '../src/index.ts'

// The assertions here are checked by `tsc` (the package tsconfig includes test/); at run time
// they only prove that the typed code also works.
describe('types', () => {
  it('augments FastifyInstance, FastifyRequest and the route config', async () => {
    const app = Fastify()
    await app.register(circuitBreaker, { threshold: 3, global: false, statusRoute: '/circuits' })
    expectTypeOf(app.circuitBreakers).toEqualTypeOf<CircuitBreakerRegistry>()
    expectTypeOf(app.circuitBreaker)
      .parameter(0)
      .toEqualTypeOf<CircuitBreakerRouteOptions | null | undefined>()
    expectTypeOf(app.circuitBreaker()).toEqualTypeOf<preHandlerAsyncHookHandler>()
    expectTypeOf<FastifyRequest['_cbTime']>().toEqualTypeOf<number>()
    expectTypeOf<FastifyRequest['_cbIsOpen']>().toEqualTypeOf<boolean>()
    expectTypeOf<FastifyRequest['_cbRouteId']>().toEqualTypeOf<number>()
    app.get(
      '/a',
      { config: { circuitBreaker: { errorThreshold: 2, resetTimeout: 1_000 } } },
      () => 'a',
    )
    app.get('/b', { config: { circuitBreaker: false } }, () => 'b')
    app.get('/c', { preHandler: [app.circuitBreaker({ threshold: 1 })] }, () => 'c')
    expectTypeOf<FastifyContextConfig['circuitBreaker']>().toEqualTypeOf<
      CircuitBreakerRouteOptions | false | undefined
    >()
    // @ts-expect-error: not an option
    const misspelt: CircuitBreakerRouteOptions = { tresshold: 1 }
    expect(() => app.circuitBreaker(misspelt)).toThrow(/tresshold/)
    await app.ready()
    expect(app.hasRoute({ method: 'GET', url: '/a' })).toBe(true)
  })

  it('types the plugin and its options', () => {
    expectTypeOf(circuitBreaker).toEqualTypeOf<FastifyCircuitBreakerPlugin>()
    expectTypeOf(circuitBreaker.default).toEqualTypeOf<FastifyCircuitBreakerPlugin>()
    expectTypeOf<FastifyCircuitBreakerOptions['cache']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<FastifyCircuitBreakerOptions>().not.toHaveProperty('name')
    expectTypeOf<CircuitBreakerRouteOptions>().not.toHaveProperty('fallback')
    expectTypeOf<CircuitBreakerRouteOptions>().not.toHaveProperty('cache')
    expect(typeof circuitBreaker).toBe('function')
  })
})
