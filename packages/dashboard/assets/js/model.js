// @ts-check
// How what the server says changes the model: snapshots, transitions, history and action results.

import { HISTORY_MS, SAMPLE_GAP_MS, TIMELINE_LENGTH } from './constants.js'
import { scheduleRender } from './schedule.js'
import { circuitRows, details, flags, model, seeded } from './state.js'

/** @typedef {import('./types.js').CircuitView} CircuitView */
/** @typedef {import('./types.js').DashboardState} DashboardState */
/** @typedef {import('./types.js').Sample} Sample */
/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').TransitionView} TransitionView */

/** @param {TransitionView} t */
function transitionKey(t) {
  return `${t.at}\u0000${t.name}\u0000${t.from}\u0000${t.to}`
}

/**
 * Adds a snapshot's sample to the chart of `name`. Only circuits that were shown keep samples
 * (the server holds the history of the others, fetched when they are shown), so the page's
 * memory grows with what is looked at, not with the number of circuits.
 * @param {string} name
 * @param {Sample} sample
 */
function addSample(name, sample) {
  if (!seeded.has(name)) return
  let samples = model.history.get(name)
  if (samples === undefined) {
    samples = []
    model.history.set(name, samples)
  }
  const previous = samples[samples.length - 2]
  const last = samples[samples.length - 1]
  if (previous !== undefined && last !== undefined && sample.at - previous.at < SAMPLE_GAP_MS) {
    samples[samples.length - 1] = sample
    // Charts redraw when a value moved or a sample was added, not at every snapshot.
    if (last.failureRate === sample.failureRate && last.slowCallRate === sample.slowCallRate) return
  } else samples.push(sample)
  const oldest = sample.at - HISTORY_MS
  let drop = 0
  while (drop < samples.length && /** @type {Sample} */ (samples[drop]).at < oldest) drop++
  if (drop > 0) samples.splice(0, drop)
  model.historyVersion.set(name, (model.historyVersion.get(name) ?? 0) + 1)
}

/**
 * Puts the server's history in front of the samples this page gathered itself.
 * @param {string} name
 * @param {readonly Sample[]} serverHistory
 */
export function seedHistory(name, serverHistory) {
  const own = model.history.get(name) ?? []
  const firstOwn = own[0]?.at ?? Number.POSITIVE_INFINITY
  const earlier = serverHistory.filter((s) => s.at < firstOwn - 500)
  model.history.set(name, [...earlier, ...own])
  model.historyVersion.set(name, (model.historyVersion.get(name) ?? 0) + 1)
}

/** @param {DashboardState} state */
export function applyState(state) {
  if (state === null || typeof state !== 'object' || !Array.isArray(state.circuits)) return
  model.instance = String(state.instance)
  model.canAct = state.canAct === true
  model.at = state.at
  const now = performance.now()
  /** @type {Map<string, CircuitView>} */
  const circuits = new Map()
  for (const view of state.circuits) {
    circuits.set(view.name, view)
    addSample(view.name, {
      at: state.at,
      failureRate: view.failureRate,
      slowCallRate: view.slowCallRate,
      callsPerSecond: view.callsPerSecond,
    })
    if (view.state === 'open') model.probeAt.set(view.name, now + view.retryAfterMs)
    else model.probeAt.delete(view.name)
  }
  for (const name of model.circuits.keys()) if (!circuits.has(name)) forget(name)
  model.circuits = circuits
  model.names = [...circuits.keys()]
  model.fleet = Array.isArray(state.fleet) ? state.fleet : null
  scheduleRender()
}

/** @param {string} name a circuit the server no longer reports */
function forget(name) {
  model.history.delete(name)
  model.historyVersion.delete(name)
  model.probeAt.delete(name)
  circuitRows.delete(name)
  details.delete(name)
  seeded.delete(name)
}

/** @param {TransitionView} transition */
export function applyTransition(transition) {
  if (transition === null || typeof transition.name !== 'string') return
  const view = model.circuits.get(transition.name)
  if (view !== undefined) {
    model.circuits.set(transition.name, { ...view, state: transition.to })
    // Until the next snapshot says how long, an opened circuit shows no countdown.
    if (transition.to !== 'open') model.probeAt.delete(transition.name)
  }
  addToTimeline([transition])
  details.get(transition.name)?.addTransition(transition)
  scheduleRender()
}

/** @param {readonly TransitionView[]} transitions */
export function addToTimeline(transitions) {
  let added = false
  for (const t of transitions) {
    const key = transitionKey(t)
    if (model.timelineKeys.has(key)) continue
    model.timelineKeys.add(key)
    model.timeline.push(t)
    added = true
  }
  if (!added) return
  model.timeline.sort((a, b) => b.at - a.at)
  for (const dropped of model.timeline.splice(TIMELINE_LENGTH))
    model.timelineKeys.delete(transitionKey(dropped))
  flags.timelineDirty = true
}

/** @param {string} name @param {string} state */
export function applyActionResult(name, state) {
  const view = model.circuits.get(name)
  if (view !== undefined) model.circuits.set(name, { ...view, state: /** @type {State} */ (state) })
  const fleetView = model.fleet?.find((f) => f.name === name)
  if (fleetView !== undefined) fleetView.state = /** @type {State} */ (state)
  scheduleRender()
}
