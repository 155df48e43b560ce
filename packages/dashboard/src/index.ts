export type { ActionResult } from './actions.ts'
export { MAX_BODY_BYTES, MAX_REASON_LENGTH } from './body.ts'
export { createDashboard, type Dashboard, type NextFunction } from './dashboard.ts'
export type { FastifyDashboardPlugin, FastifyScope } from './fastify.ts'
export type {
  ActionLogEntry,
  ActionRequest,
  Authorize,
  AuthorizeResult,
  DashboardAction,
  DashboardOptions,
  FleetCircuit,
  FleetInstance,
  FleetSource,
} from './options.ts'
export { DASHBOARD_DEFAULTS } from './parse-options.ts'
export type {
  CircuitDetail,
  CircuitView,
  DashboardState,
  FleetCircuitView,
  FleetInstanceView,
  HistorySample,
  TransitionView,
} from './views.ts'
