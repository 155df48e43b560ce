import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerMetrics } from '../src/index.ts'
import { fakeRegistry } from './helpers.ts'

const bad: Array<[string, unknown, string]> = [
  ['unknown key', { prefx: 'a_' }, 'prefx'],
  ['__proto__ key', JSON.parse('{"__proto__": {"histogram": true}}'), '__proto__'],
  ['register', { register: {} }, 'register'],
  ['register', { register: 'default' }, 'register'],
  ['prefix', { prefix: 'has space_' }, 'prefix'],
  ['prefix', { prefix: '9starts_with_digit' }, 'prefix'],
  ['prefix', { prefix: 'x'.repeat(10_000) }, 'prefix'],
  ['prefix', { prefix: 42 }, 'prefix'],
  ['histogram', { histogram: 'yes' }, 'histogram'],
  ['histogram', { histogram: 1 }, 'histogram'],
  ['buckets', { buckets: [] }, 'buckets'],
  ['buckets', { buckets: [0.5, 0.1] }, 'buckets'],
  ['buckets', { buckets: [0, 1] }, 'buckets'],
  ['buckets', { buckets: [Number.NaN] }, 'buckets'],
  ['buckets', { buckets: [1, Number.POSITIVE_INFINITY] }, 'buckets'],
  ['buckets', { buckets: '0.1,1' }, 'buckets'],
  ['store', { store: {} }, 'store'],
  ['store', { store: { unavailable: 'no' } }, 'store'],
  ['store', { store: null }, 'store'],
]

describe('registerMetrics options', () => {
  it.each(bad)('rejects a bad %s with InvalidOptionsError naming it', (_what, options, option) => {
    const register = new Registry()
    expect(() =>
      registerMetrics(fakeRegistry().registry, { register, ...(options as object) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option }))
  })

  it('rejects a non-options value', () => {
    for (const options of [null, [], 'tripswitch_', 42])
      expect(() => registerMetrics(fakeRegistry().registry, options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'options' }),
      )
  })

  it('rejects something that is not a registry', () => {
    for (const registry of [null, undefined, {}, { snapshot: 1 }])
      expect(() => registerMetrics(registry as never, { register: new Registry() })).toThrow(
        expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'registry' }),
      )
  })

  it('takes undefined as the default and accepts an empty prefix', async () => {
    const register = new Registry()
    const { registry } = fakeRegistry()
    registry.get('a')
    registerMetrics(registry, { register, prefix: '', histogram: undefined, store: undefined })
    expect(register.getSingleMetric('circuit_state')).toBeDefined()
    expect(await register.getSingleMetricAsString('buffered_calls')).toContain(
      'buffered_calls{name="a"} 0',
    )
  })
})
