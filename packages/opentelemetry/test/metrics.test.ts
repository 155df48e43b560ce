import { CircuitBreakerRegistry } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { instrument } from '../src/index.ts'
import { meterSetup, points, pointValue } from './helpers.ts'

const fail = () => Promise.reject(new Error('down'))

describe('instrument: observable instruments through a real MeterProvider', () => {
  it('reports state, calls, rates and transitions, read lazily at collection', async () => {
    const clock = new FakeClock(1_000)
    const registry = new CircuitBreakerRegistry({
      clock,
      defaults: { errorThreshold: 2, recoveryTimeout: 10_000 },
    })
    const { meterProvider, collect } = meterSetup()
    const dispose = instrument(registry, { meterProvider })
    const payments = registry.get('payments')
    await payments.execute(() => 'ok')
    await expect(payments.execute(fail)).rejects.toThrow()
    let data = await collect()
    const circuit = { 'tripswitch.circuit': 'payments' }
    expect(pointValue(data, 'tripswitch.circuit.failure_rate', circuit)).toBe(0.5)
    expect(pointValue(data, 'tripswitch.circuit.buffered_calls', circuit)).toBe(2)
    expect(
      pointValue(data, 'tripswitch.circuit.state', { ...circuit, 'tripswitch.state': 'closed' }),
    ).toBe(1)

    await expect(payments.execute(fail)).rejects.toThrow()
    await expect(payments.execute(() => 'refused')).rejects.toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
    })
    data = await collect()
    expect(
      pointValue(data, 'tripswitch.circuit.state', { ...circuit, 'tripswitch.state': 'open' }),
    ).toBe(1)
    expect(
      pointValue(data, 'tripswitch.calls', { ...circuit, 'tripswitch.call.kind': 'failed' }),
    ).toBe(2)
    expect(
      pointValue(data, 'tripswitch.calls', { ...circuit, 'tripswitch.call.kind': 'not_permitted' }),
    ).toBe(1)
    expect(
      pointValue(data, 'tripswitch.circuit.transitions', {
        ...circuit,
        'tripswitch.state.from': 'closed',
        'tripswitch.state.to': 'open',
      }),
    ).toBe(1)

    clock.advance(10_000)
    data = await collect()
    expect(
      pointValue(data, 'tripswitch.circuit.state', { ...circuit, 'tripswitch.state': 'half_open' }),
    ).toBe(1)
    expect(points(data, 'tripswitch.circuit.state')).toHaveLength(5)

    const all = data.map((m) => [m.descriptor.name, m.descriptor.unit]).sort()
    expect(all).toEqual([
      ['tripswitch.calls', '{call}'],
      ['tripswitch.circuit.buffered_calls', '{call}'],
      ['tripswitch.circuit.failure_rate', '1'],
      ['tripswitch.circuit.slow_call_rate', '1'],
      ['tripswitch.circuit.state', '1'],
      ['tripswitch.circuit.transitions', '{transition}'],
    ])
    dispose()
    dispose()
    data = await collect()
    // Nothing is observed any more: with cumulative temporality (the SDK's default) the SDK
    // repeats each stream's last value, which no longer moves.
    payments.forceOpen()
    await payments.execute(() => 'disabled circuit, still counted').catch(() => undefined)
    data = await collect()
    expect(
      pointValue(data, 'tripswitch.circuit.state', { ...circuit, 'tripswitch.state': 'half_open' }),
    ).toBe(1)
    expect(
      pointValue(data, 'tripswitch.circuit.state', {
        ...circuit,
        'tripswitch.state': 'forced_open',
      }),
    ).toBe(0)
    expect(
      pointValue(data, 'tripswitch.calls', { ...circuit, 'tripswitch.call.kind': 'not_permitted' }),
    ).toBe(1)
  })

  it('reports each registry on its own provider', async () => {
    const a = new CircuitBreakerRegistry()
    const b = new CircuitBreakerRegistry()
    a.get('only-a')
    b.get('only-b').forceOpen()
    const [ma, mb] = [meterSetup(), meterSetup()]
    instrument(a, { meterProvider: ma.meterProvider })
    instrument(b, { meterProvider: mb.meterProvider })
    const names = (data: Awaited<ReturnType<typeof ma.collect>>) => [
      ...new Set(
        points(data, 'tripswitch.circuit.state').map((p) => p.attributes['tripswitch.circuit']),
      ),
    ]
    expect(names(await ma.collect())).toEqual(['only-a'])
    expect(names(await mb.collect())).toEqual(['only-b'])
    expect(
      pointValue(await mb.collect(), 'tripswitch.circuit.state', {
        'tripswitch.state': 'forced_open',
      }),
    ).toBe(1)
  })

  it('rejects bad options with InvalidOptionsError naming them', () => {
    const registry = new CircuitBreakerRegistry()
    const cases: Array<[unknown, string]> = [
      [null, 'options'],
      [{ meterProvider: {} }, 'meterProvider'],
      [{ tracerProvider: 'global' }, 'tracerProvider'],
      [{ spanAttributes: 'yes' }, 'spanAttributes'],
      [{ meterprovider: {} }, 'meterprovider'],
      [JSON.parse('{"__proto__": {}}'), '__proto__'],
    ]
    for (const [options, option] of cases)
      expect(() => instrument(registry, options as never), option).toThrow(
        expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option }),
      )
    expect(() => instrument({} as never)).toThrow(expect.objectContaining({ option: 'registry' }))
  })
})
