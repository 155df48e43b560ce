import { Agent, Pool, fetch as undiciFetch } from 'undici'
import { describe, expectTypeOf, it } from 'vitest'
import { withCircuitBreaker } from '../src/index.ts'
import { circuitBreaker } from '../src/undici.ts'

// Compile-time checks (the package's `tsc -p tsconfig.json` covers this file); the runtime
// assertions only confirm the values exist.

describe('types', () => {
  it('a guarded global fetch has the global fetch type', () => {
    const guarded = withCircuitBreaker(fetch)
    const asFetch: typeof fetch = guarded
    expectTypeOf(guarded).returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf(asFetch).toBeFunction()
  })

  it("a guarded undici fetch has undici's fetch type", () => {
    const guarded = withCircuitBreaker(undiciFetch)
    const asFetch: typeof undiciFetch = guarded
    expectTypeOf(guarded).returns.resolves.toEqualTypeOf<Awaited<ReturnType<typeof undiciFetch>>>()
    expectTypeOf(asFetch).toBeFunction()
  })

  it('init takes a typed circuitBreaker field next to every RequestInit field', () => {
    const guarded = withCircuitBreaker(fetch)
    const call = () =>
      guarded('https://example.com', {
        method: 'POST',
        headers: { a: 'b' },
        signal: AbortSignal.timeout(1_000),
        circuitBreaker: { key: 'payments', timeout: 500, acceptClientErrors: false },
      })
    const off = () => guarded('https://example.com', { circuitBreaker: false })
    // @ts-expect-error: not an option
    const wrong = () => guarded('https://example.com', { circuitBreaker: { nope: 1 } })
    expectTypeOf(call).returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf(off).toBeFunction()
    expectTypeOf(wrong).toBeFunction()
  })

  it('onCircuitOpen and detectError get the wrapped fetch response type', () => {
    withCircuitBreaker(fetch, {
      detectError: (response) => {
        expectTypeOf(response).toEqualTypeOf<Response>()
        return false
      },
      onCircuitOpen: () => Response.json({ cached: true }),
    })
  })

  it('the interceptor composes onto an Agent and a Pool', () => {
    const agent = new Agent().compose(circuitBreaker({ errorThreshold: 3 }))
    const pool = new Pool('http://127.0.0.1:1').compose(circuitBreaker({ key: 'partner' }))
    expectTypeOf(agent.request).toBeFunction()
    expectTypeOf(pool.request).toBeFunction()
    void agent.close()
    void pool.close()
  })
})
