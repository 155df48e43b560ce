// @ts-check
// The name filter, state filter and order the controls above the tables describe.

import { SEVERITY } from './constants.js'
import { model } from './state.js'
import { ui } from './ui.js'

/** @typedef {import('./types.js').CircuitView} CircuitView */

/**
 * The filter the controls describe, read once per render.
 * @returns {(name: string, state: string) => boolean}
 */
export function currentFilter() {
  const query = ui.filterName.value.trim().toLowerCase()
  const wanted = ui.filterState.value
  return (name, state) =>
    (wanted === '' || state === wanted) && (query === '' || name.toLowerCase().includes(query))
}

/** Names of local circuits to show, filtered and ordered. */
export function visibleNames() {
  const matches = currentFilter()
  const names = model.names.filter((name) => {
    const view = model.circuits.get(name)
    return view !== undefined && matches(name, view.state)
  })
  if (ui.sort.value === 'trouble') {
    names.sort((a, b) => {
      const va = /** @type {CircuitView} */ (model.circuits.get(a))
      const vb = /** @type {CircuitView} */ (model.circuits.get(b))
      return (
        (SEVERITY[va.state] ?? 5) - (SEVERITY[vb.state] ?? 5) ||
        vb.failureRate - va.failureRate ||
        (a < b ? -1 : a > b ? 1 : 0)
      )
    })
  }
  return names
}
