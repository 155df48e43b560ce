// @ts-check
// Countdowns to the next probe move on between snapshots.

import { probeText } from './cells.js'
import { setText } from './dom.js'
import { countdown } from './format.js'
import { circuitRows, fleetRows, model } from './state.js'
import { ui } from './ui.js'

/** Refreshes countdowns between snapshots. */
export function tick() {
  const now = performance.now()
  for (const tr of ui.circuitRows.children) {
    const name = /** @type {HTMLElement} */ (tr).dataset.name
    if (name === undefined || !model.probeAt.has(name)) continue
    const row = circuitRows.get(name)
    const view = model.circuits.get(name)
    if (row && view) setText(row.probe, probeText(name, view.state, now))
  }
  if (model.fleet === null) return
  for (const tr of ui.fleetRows.children) {
    if (/** @type {HTMLElement} */ (tr).dataset.state !== 'open') continue
    const row = fleetRows.get(/** @type {HTMLElement} */ (tr).dataset.name ?? '')
    if (row === undefined) continue
    setText(row.probe, countdown(row.probeAt - now))
  }
}
