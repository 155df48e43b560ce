// @ts-check
// The table of every circuit in the shared store, shown when the dashboard has a fleet.

import { PAGE_SIZE } from './constants.js'
import { reconcile } from './dom.js'
import { currentFilter } from './filters.js'
import { FleetRow } from './fleet-row.js'
import { clampPage, renderPager } from './pager.js'
import { flags, fleetRows, model } from './state.js'
import { ui } from './ui.js'

export function renderFleet() {
  const fleet = model.fleet
  ui.fleet.hidden = fleet === null
  if (fleet === null) return
  const names = new Set(fleet.map((f) => f.name))
  for (const name of fleetRows.keys()) if (!names.has(name)) fleetRows.delete(name)
  const matches = currentFilter()
  const visible = fleet.filter((f) => matches(f.name, f.state))
  const page = clampPage('fleet', visible.length)
  const now = performance.now()
  const received = flags.fleetReceived
  flags.fleetReceived = false
  /** @type {Element[]} */
  const nodes = []
  for (const view of visible.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) {
    let row = fleetRows.get(view.name)
    const fresh = row === undefined
    if (row === undefined) {
      row = new FleetRow(view.name)
      fleetRows.set(view.name, row)
    }
    row.update(view, now, received || fresh)
    nodes.push(row.tr)
  }
  reconcile(ui.fleetRows, nodes)
  ui.fleetEmpty.hidden = visible.length > 0
  renderPager(ui.fleetPager, 'fleet', visible.length)
}
