// @ts-check
// The shapes the server sends, as the page reads them. Types only: nothing runs here.

/**
 * @typedef {'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled'} State
 * @typedef {{ calls: number, successful: number, failed: number, ignored: number,
 *   notPermitted: number, busy: number, timeouts: number, fallbacks: number, slowCalls: number,
 *   transitions: Record<string, number> }} CircuitTotals
 * @typedef {{ name: string, state: State, mode: string, failureRate: number,
 *   slowCallRate: number, calls: number, failures: number, slowCalls: number,
 *   consecutiveFailures: number, retryAfterMs: number, activeCalls: number,
 *   generation: number, totals: CircuitTotals, callsPerSecond: number }} CircuitView
 * @typedef {{ id: string, lastSeen: number }} FleetInstance
 * @typedef {{ name: string, state: State, generation: number, retryAfterMs: number,
 *   openings: number, instances: FleetInstance[] }} FleetCircuitView
 * @typedef {{ instance: string, canAct: boolean, at: number, circuits: CircuitView[],
 *   fleet: FleetCircuitView[] | null }} DashboardState
 * @typedef {{ name: string, from: State, to: State, reason: string, at: number }} TransitionView
 * @typedef {{ at: number, failureRate: number, slowCallRate: number, callsPerSecond: number }} Sample
 * @typedef {CircuitView & { history: Sample[], transitions: TransitionView[] }} CircuitDetail
 * @typedef {'open' | 'disable' | 'close' | 'reset'} Action
 */

export {}
