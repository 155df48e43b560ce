export {
  type MetricsHandler,
  type MetricsHandlerOptions,
  metricsHandler,
} from './metrics-handler.ts'
export {
  type PrometheusMetricsOptions,
  type ResolvedMetricsOptions,
  resolveMetricsOptions,
  type StoreHealthSource,
} from './options.ts'
export { registerMetrics, type UnregisterMetrics } from './register-metrics.ts'
