import type { MeterProvider, TracerProvider } from '@opentelemetry/api'
import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where the metrics go. @default the global meter provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider
  /**
   * Whose tracer records a `tripswitch.circuit.open` span when a circuit opens outside any
   * active span (e.g. on word from the shared store). Span events and attributes go on the
   * active span, whatever its provider.
   * @default the global tracer provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider
  /**
   * Put `tripswitch.circuit` on the active span of every guarded call. It makes every breaker
   * of the process read its clock and publish at each call's start; refusals and openings are
   * recorded either way.
   * @default true
   */
  spanAttributes?: boolean
}

const KNOWN = new Set(['meterProvider', 'tracerProvider', 'spanAttributes'])

/**
 * Checks the options of {@link instrument}.
 * @throws {InvalidOptionsError} naming the option, the rule and the value.
 */
export function checkInstrumentOptions(options: unknown): InstrumentOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionsError('options', 'an options object', options)
  const given = checks.withoutUndefined(checks.ownOptions(options)) as InstrumentOptions
  checks.rejectUnknownKeys(given, KNOWN)
  if (given.meterProvider !== undefined)
    checks.objectWith(['getMeter'], 'a MeterProvider')(given.meterProvider, 'meterProvider')
  if (given.tracerProvider !== undefined)
    checks.objectWith(['getTracer'], 'a TracerProvider')(given.tracerProvider, 'tracerProvider')
  if (given.spanAttributes !== undefined && typeof given.spanAttributes !== 'boolean')
    throw new InvalidOptionsError('spanAttributes', 'true or false', given.spanAttributes)
  return given
}
