import dc from 'node:diagnostics_channel'
import { CircuitBreaker, DIAGNOSTICS_CHANNELS } from '@tripswitch/core'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { registerMetrics } from '../src/index.ts'
import { fakeRegistry } from './helpers.ts'

const callEnd = dc.channel(DIAGNOSTICS_CHANNELS.callEnd)
const callStart = dc.channel(DIAGNOSTICS_CHANNELS.callStart)

interface HistogramSeries {
  name: string
  labels: Record<string, string>
  count: number
  sum: number
  buckets: Record<string, number>
}

/**
 * The histogram's series, from prom-client's own JSON export: parse-prometheus-text-format
 * drops the labels of histogram lines whose `le` label comes first, which is how prom-client
 * writes them, so the text parser cannot tell the series apart.
 */
async function durations(register: Registry): Promise<HistogramSeries[]> {
  const json = await register.getMetricsAsJSON()
  const family = json.find((m) => m.name === 'tripswitch_call_duration_seconds')
  const bySeries = new Map<string, HistogramSeries>()
  for (const value of family?.values ?? []) {
    const { le, ...labels } = value.labels as Record<string, string>
    const key = JSON.stringify(labels)
    const series = bySeries.get(key) ?? {
      name: labels.name ?? '',
      labels,
      count: 0,
      sum: 0,
      buckets: {},
    }
    bySeries.set(key, series)
    const metricName = (value as { metricName?: string }).metricName ?? ''
    if (metricName.endsWith('_count')) series.count = value.value
    else if (metricName.endsWith('_sum')) series.sum = value.value
    else if (le !== undefined) series.buckets[String(le)] = value.value
  }
  return [...bySeries.values()]
}

describe('call_duration_seconds', () => {
  it('is off by default: nothing listens for calls, no histogram is exported', async () => {
    const { registry } = fakeRegistry()
    const register = new Registry()
    const unregister = registerMetrics(registry, { register })
    const breaker = registry.get('quiet')
    await breaker.execute(() => 1)
    expect(callEnd.hasSubscribers).toBe(false)
    expect(callStart.hasSubscribers).toBe(false)
    expect(register.getSingleMetric('tripswitch_call_duration_seconds')).toBeUndefined()
    unregister()
  })

  it('observes durations on the breaker clock, by outcome, and stops listening on unregister', async () => {
    const { clock, registry } = fakeRegistry()
    const register = new Registry()
    const unregister = registerMetrics(registry, {
      register,
      histogram: true,
      buckets: [0.1, 0.5, 1],
    })
    expect(callEnd.hasSubscribers).toBe(true)
    // Created after registerMetrics, timed from its first call.
    const breaker = registry.get('timed')
    await breaker.execute(async () => clock.advance(250))
    await breaker.execute(async () => clock.advance(50))
    const permit = await breaker.acquire()
    clock.advance(2_000)
    permit.failure(new Error('slow and failed'))
    const ignored = await breaker.acquire()
    ignored.ignore()
    const text = await register.metrics()
    expect(text).toContain('# TYPE tripswitch_call_duration_seconds histogram')
    const byKind = Object.fromEntries((await durations(register)).map((s) => [s.labels.kind, s]))
    expect(Object.keys(byKind).sort()).toEqual(['failed', 'successful'])
    expect(byKind.successful).toMatchObject({
      labels: { name: 'timed', kind: 'successful' },
      buckets: { '0.1': 1, '0.5': 2, '1': 2, '+Inf': 2 },
      count: 2,
      sum: 0.3,
    })
    expect(byKind.failed).toMatchObject({ count: 1, sum: 2, buckets: { '1': 0, '+Inf': 1 } })

    unregister()
    expect(callEnd.hasSubscribers).toBe(false)
    expect(register.getMetricsAsArray()).toEqual([])
  })

  it('times only the breakers of its own registry, and forgets an evicted one', async () => {
    const { clock, registry } = fakeRegistry({ maxBreakers: 1 })
    const register = new Registry()
    const unregister = registerMetrics(registry, { register, histogram: true })
    // Same name, not in the registry: a standalone breaker and one of another registry.
    const standalone = new CircuitBreaker({ name: 'shared-name', clock })
    const other = fakeRegistry().registry.get('shared-name')
    await standalone.execute(() => 1)
    await other.execute(() => 1)
    await registry.get('shared-name').execute(() => 1)
    expect((await durations(register)).map((s) => [s.name, s.count])).toEqual([['shared-name', 1]])

    registry.get('newcomer') // evicts shared-name (idle, closed)
    expect(await durations(register)).toEqual([])
    unregister()
  })
})
