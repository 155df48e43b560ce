// @ts-check
// The table of this instance's circuits, a page of rows at a time.

import { CircuitRow } from './circuit-row.js'
import { PAGE_SIZE } from './constants.js'
import { reconcile } from './dom.js'
import { visibleNames } from './filters.js'
import { seedVisible } from './history.js'
import { clampPage, renderPager } from './pager.js'
import { circuitRows, details, model } from './state.js'
import { ui } from './ui.js'

/** @typedef {import('./types.js').CircuitView} CircuitView */

export function renderCircuits() {
  const names = visibleNames()
  const page = clampPage('circuits', names.length)
  const shown = names.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
  const now = performance.now()
  /** @type {Element[]} */
  const nodes = []
  for (const name of shown) {
    const view = /** @type {CircuitView} */ (model.circuits.get(name))
    let row = circuitRows.get(name)
    if (row === undefined) {
      row = new CircuitRow(name)
      circuitRows.set(name, row)
    }
    row.update(view, now)
    nodes.push(row.tr)
    const detail = details.get(name)
    if (detail !== undefined) {
      detail.update(view)
      nodes.push(detail.tr)
    }
  }
  reconcile(ui.circuitRows, nodes)
  ui.circuitsEmpty.hidden = names.length > 0 || model.at === 0
  renderPager(ui.circuitsPager, 'circuits', names.length)
  seedVisible(shown)
}
