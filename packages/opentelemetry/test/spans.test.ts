import dc from 'node:diagnostics_channel'
import { trace } from '@opentelemetry/api'
import { CircuitBreaker, CircuitBreakerRegistry, DIAGNOSTICS_CHANNELS } from '@tripswitch/core'
import { FakeClock } from '@tripswitch/core/testing'
import { describe, expect, it } from 'vitest'
import { instrument, OPEN_EVENT, REJECT_EVENT } from '../src/index.ts'
import { tracerSetup, useContextManager } from './helpers.ts'

useContextManager()

const fail = () => Promise.reject(new Error('down'))

function setup() {
  const clock = new FakeClock(1_000)
  const registry = new CircuitBreakerRegistry({
    clock,
    defaults: { errorThreshold: 1, recoveryTimeout: 4_000 },
  })
  const tracing = tracerSetup()
  const dispose = instrument(registry, { tracerProvider: tracing.tracerProvider })
  return { clock, registry, dispose, ...tracing }
}

describe('instrument: span events and attributes through a real tracer provider', () => {
  it('marks the span of a guarded call, records the opening on the span whose call tripped it, and a refusal', async () => {
    const { clock, registry, exporter, inSpan, dispose } = setup()
    const payments = registry.get('payments')
    await inSpan('GET /checkout', async () => {
      await expect(payments.execute(fail)).rejects.toThrow('down')
    })
    clock.advance(1_000)
    await inSpan('GET /checkout again', async () => {
      await expect(payments.execute(() => 'never')).rejects.toMatchObject({
        code: 'ERR_CIRCUIT_OPEN',
      })
    })
    const [first, second] = exporter.getFinishedSpans()
    expect(first?.attributes['tripswitch.circuit']).toBe('payments')
    expect(first?.events.map((e) => [e.name, e.attributes])).toEqual([
      [OPEN_EVENT, { circuit: 'payments', from: 'closed', state: 'open', reason: 'threshold' }],
    ])
    // A refused call never started: no attribute from a call, one event.
    expect(second?.attributes['tripswitch.circuit']).toBeUndefined()
    expect(second?.events.map((e) => [e.name, e.attributes])).toEqual([
      [REJECT_EVENT, { circuit: 'payments', state: 'open', retry_after_ms: 3_000, shadow: false }],
    ])
    dispose()
  })

  it('records an opening outside any span as a span of its own', async () => {
    const { registry, exporter, dispose } = setup()
    registry.get('inventory').forceOpen()
    const spans = exporter.getFinishedSpans()
    expect(spans.map((s) => [s.name, s.attributes])).toEqual([
      [
        OPEN_EVENT,
        {
          'tripswitch.circuit': 'inventory',
          circuit: 'inventory',
          from: 'closed',
          state: 'forced_open',
          reason: 'forced',
        },
      ],
    ])
    dispose()
  })

  it('ignores breakers of other registries, even of the same name', async () => {
    const { exporter, inSpan, dispose } = setup()
    const stranger = new CircuitBreaker({ name: 'payments', errorThreshold: 1 })
    const other = new CircuitBreakerRegistry().get('payments')
    await inSpan('unrelated', async () => {
      await expect(stranger.execute(fail)).rejects.toThrow()
      await expect(other.execute(fail)).rejects.toThrow()
      await expect(stranger.execute(() => 1)).rejects.toThrow()
    })
    const [span] = exporter.getFinishedSpans()
    expect(span?.events).toEqual([])
    expect(span?.attributes).toEqual({})
    dispose()
  })

  it('does nothing without an active span, and unsubscribes on dispose', async () => {
    const { registry, exporter, dispose } = setup()
    await registry.get('quiet').execute(() => 1)
    expect(trace.getActiveSpan()).toBeUndefined()
    expect(exporter.getFinishedSpans()).toEqual([])
    expect(dc.channel(DIAGNOSTICS_CHANNELS.callStart).hasSubscribers).toBe(true)
    dispose()
    for (const name of Object.values(DIAGNOSTICS_CHANNELS))
      expect(dc.channel(name).hasSubscribers, name).toBe(false)
  })

  it('leaves calls unobserved with spanAttributes: false', async () => {
    const registry = new CircuitBreakerRegistry()
    const { tracerProvider, inSpan, exporter } = tracerSetup()
    const dispose = instrument(registry, { tracerProvider, spanAttributes: false })
    expect(dc.channel(DIAGNOSTICS_CHANNELS.callStart).hasSubscribers).toBe(false)
    await inSpan('call', () => registry.get('x').execute(() => 1))
    expect(exporter.getFinishedSpans()[0]?.attributes).toEqual({})
    dispose()
  })
})
