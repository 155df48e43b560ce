import { CircuitBreakerRegistry, isInvalidOptionsError } from '@tripswitch/core'
import { describe, expect, it } from 'vitest'
import { createDashboard, type DashboardOptions, type DashboardState } from '../src/index.ts'
import { act, ask, serve, succeed } from './helpers.ts'

const registry = new CircuitBreakerRegistry()

function optionError(options: unknown): { option: string; message: string } {
  try {
    createDashboard(options as DashboardOptions).close()
  } catch (error) {
    if (isInvalidOptionsError(error)) return { option: error.option, message: error.message }
    throw error
  }
  throw new Error('accepted')
}

describe('createDashboard options', () => {
  it.each([
    ['registry', {}],
    ['registry', { registry: {} }],
    ['registry', { registry: null }],
    ['options', null],
    ['options', 'registry'],
    ['options', []],
    ['regsitry', { registry, regsitry: registry }],
    ['__proto__', JSON.parse('{"__proto__": {"authorize": true}}')],
    ['store', { registry, store: 'redis://x' }],
    ['authorize', { registry, authorize: true }],
    ['log', { registry, log: 'console' }],
    ['basePath', { registry, basePath: 'circuits' }],
    ['basePath', { registry, basePath: '/a?b=1' }],
    ['basePath', { registry, basePath: '/a b' }],
    ['basePath', { registry, basePath: '/"><script>' }],
    ['basePath', { registry, basePath: '//evil.example' }],
    ['basePath', { registry, basePath: `/${'a'.repeat(300)}` }],
    ['basePath', { registry, basePath: '/\uD800' }],
    ['intervalMs', { registry, intervalMs: 0 }],
    ['intervalMs', { registry, intervalMs: Number.NaN }],
    ['intervalMs', { registry, intervalMs: 1.5 }],
    ['sampleMs', { registry, sampleMs: -1 }],
    ['sampleMs', { registry, sampleMs: Number.POSITIVE_INFINITY }],
    ['maxClients', { registry, maxClients: 0 }],
    ['maxClients', { registry, maxClients: '32' }],
  ])('refuses a bad %s', (option, options) => {
    const error = optionError(options)
    expect(error.option).toBe(option)
    expect(error.message.length).toBeLessThan(400)
  })

  it('ignores options set on Object.prototype (no authorize planted there)', async () => {
    const proto = Object.prototype as Record<string, unknown>
    proto.authorize = () => true
    let served: Awaited<ReturnType<typeof serve>> | undefined
    try {
      served = await serve()
    } finally {
      delete proto.authorize
    }
    const state = (await ask(served.port, { path: '/api/circuits' })).json as DashboardState
    expect(state.canAct).toBe(false)
    await succeed(served.registry, 'x')
    expect((await act(served.port, '/api/circuits/x/open')).status).toBe(403)
    await served.stop()
  })

  it('accepts undefined for every optional option, and / as a basePath', () => {
    createDashboard({
      registry,
      store: undefined,
      authorize: undefined,
      basePath: '/',
      intervalMs: undefined,
      sampleMs: undefined,
      maxClients: undefined,
      log: undefined,
    }).close()
    createDashboard({ registry, basePath: '/ops/circuits/' }).close()
  })
})
