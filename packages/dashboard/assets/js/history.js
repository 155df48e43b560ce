// @ts-check
// A circuit's detail from the server: its 5 minutes of history for the charts and its
// transitions, fetched when its row is shown or expanded.

import { circuitUrl, getJson } from './api.js'
import { SEED_CONCURRENCY } from './constants.js'
import { DetailRow } from './detail-row.js'
import { quoted } from './format.js'
import { addToTimeline, seedHistory } from './model.js'
import { scheduleRender } from './schedule.js'
import { details, model, seeded } from './state.js'
import { showMessage } from './ui.js'

/** @typedef {import('./types.js').CircuitDetail} CircuitDetail */

/** @type {string[]} */
const seedQueue = []
let seeding = 0

/**
 * Fills the charts of newly visible rows from the server's 5 minutes of history, a few at a
 * time, so that a fresh page shows the recent past rather than an empty chart.
 * @param {readonly string[]} names
 */
export function seedVisible(names) {
  for (const name of names) {
    if (seeded.has(name)) continue
    seeded.add(name)
    seedQueue.push(name)
  }
  while (seeding < SEED_CONCURRENCY && seedQueue.length > 0) {
    const name = /** @type {string} */ (seedQueue.shift())
    seeding++
    loadDetail(name)
      .catch(() => {})
      .finally(() => {
        seeding--
        seedVisible([])
      })
  }
}

/** @param {string} name */
export async function loadDetail(name) {
  const url = circuitUrl(name)
  if (url === null) return
  const detail = /** @type {CircuitDetail} */ (await getJson(url))
  if (!model.circuits.has(name)) return
  if (Array.isArray(detail.history)) seedHistory(name, detail.history)
  if (Array.isArray(detail.transitions)) {
    addToTimeline(detail.transitions)
    details.get(name)?.setDetail(detail)
  }
  scheduleRender()
}

/** @param {string} name */
export function toggleDetail(name) {
  if (details.has(name)) details.delete(name)
  else {
    details.set(name, new DetailRow(name))
    loadDetail(name).catch(() =>
      showMessage('error', `Could not load the history of ${quoted(name)}.`),
    )
  }
  scheduleRender()
}
