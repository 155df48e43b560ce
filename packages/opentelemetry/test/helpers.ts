import { context, type Span, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  type DataPoint,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll } from 'vitest'

/** A reader collected on demand (the SDK's own collection path, no export interval). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A real SDK MeterProvider with a reader the test collects. */
export function meterSetup(): {
  meterProvider: MeterProvider
  collect(): Promise<MetricData[]>
} {
  const reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    meterProvider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw errors[0]
      return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
    },
  }
}

/** The points of instrument `name` in a collection. */
export function points(data: MetricData[], name: string): Array<DataPoint<number>> {
  const metric = data.find((m) => m.descriptor.name === name)
  return (metric?.dataPoints ?? []) as unknown as Array<DataPoint<number>>
}

/** The value of the point of `name` whose attributes include `attributes`. */
export function pointValue(
  data: MetricData[],
  name: string,
  attributes: Record<string, string>,
): number | undefined {
  return points(data, name).find((p) =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  )?.value
}

/** A real tracer provider with an in-memory exporter, and async-hooks context. */
export function tracerSetup(): {
  tracerProvider: BasicTracerProvider
  exporter: InMemorySpanExporter
  inSpan<T>(name: string, run: (span: Span) => Promise<T>): Promise<T>
} {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = tracerProvider.getTracer('test')
  return {
    tracerProvider,
    exporter,
    inSpan: (name, run) =>
      tracer.startActiveSpan(name, async (span) => {
        try {
          return await run(span)
        } finally {
          span.end()
        }
      }),
  }
}

/** Installs an AsyncLocalStorage context manager for the file's tests. */
export function useContextManager(): void {
  const manager = new AsyncLocalStorageContextManager()
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable())
  })
  afterAll(() => {
    manager.disable()
    context.disable()
    trace.disable()
  })
}
