import { metrics, trace } from '@opentelemetry/api'
import type { CircuitBreakerRegistry } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { Membership } from './membership.ts'
import { observeRegistry } from './metrics.ts'
import { checkInstrumentOptions, type InstrumentOptions } from './options.ts'
import { traceRegistry } from './spans.ts'

/** Removes what {@link instrument} set up; calling it again does nothing. */
export type Disposer = () => void

/** Instrumentation scope name of the meter and the tracer. */
export const INSTRUMENTATION_SCOPE = '@tripswitch/opentelemetry'
const VERSION = '0.1.0'

/**
 * Instruments the breakers of `registry` with OpenTelemetry: observable instruments read from
 * snapshots at each collection, and span events on the active span when a call is refused or a
 * circuit opens, plus the circuit's name on the span of each guarded call.
 * @returns a function removing the instruments' callback and the span hooks.
 * @throws {InvalidOptionsError} for a bad option.
 */
export function instrument(
  registry: CircuitBreakerRegistry,
  options?: InstrumentOptions,
): Disposer {
  checks.objectWith(['snapshot', 'has', 'get'], 'a CircuitBreakerRegistry')(registry, 'registry')
  const given = checkInstrumentOptions(options)
  const meter = (given.meterProvider ?? metrics.getMeterProvider()).getMeter(
    INSTRUMENTATION_SCOPE,
    VERSION,
  )
  const tracer = (given.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_SCOPE,
    VERSION,
  )
  const stopMetrics = observeRegistry(meter, registry)
  const stopTracing = traceRegistry(new Membership(registry), tracer, given.spanAttributes ?? true)
  let active = true
  return () => {
    if (!active) return
    active = false
    stopMetrics()
    stopTracing()
  }
}
