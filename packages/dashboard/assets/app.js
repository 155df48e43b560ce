// @ts-check
// The Tripswitch dashboard page: the entry module, which wires the controls and starts the
// first load and the live stream. Plain browser JavaScript in ES modules (./js/), no
// dependencies, checked by tsc (tsconfig.assets.json). Every piece of data reaches the DOM
// through textContent or an attribute set by the DOM API, never through HTML parsing: circuit
// names are untrusted.

import { act } from './js/actions.js'
import { base, getJson } from './js/api.js'
import { TICK_MS } from './js/constants.js'
import { closeStream, connect } from './js/events.js'
import { toggleDetail } from './js/history.js'
import { applyState } from './js/model.js'
import { render } from './js/render.js'
import { scheduleRender, setRenderer } from './js/schedule.js'
import { flags, pages } from './js/state.js'
import { tick } from './js/tick.js'
import { showMessage, ui } from './js/ui.js'

/** @typedef {import('./js/types.js').Action} Action */
/** @typedef {import('./js/types.js').DashboardState} DashboardState */

function onFilterChange() {
  pages.circuits = 0
  pages.fleet = 0
  scheduleRender()
}

/** @param {MouseEvent} event */
function onTableClick(event) {
  const button = /** @type {HTMLElement} */ (event.target).closest('button')
  const row = button?.closest('tr')
  const name = row?.dataset.name
  if (!button || name === undefined) return
  if (button.dataset.expand !== undefined) toggleDetail(name)
  else if (button.dataset.action) act(name, /** @type {Action} */ (button.dataset.action), button)
}

function start() {
  setRenderer(render)
  ui.filterName.addEventListener('input', onFilterChange)
  ui.filterState.addEventListener('change', onFilterChange)
  ui.sort.addEventListener('change', onFilterChange)
  ui.summary.addEventListener('click', (event) => {
    const chip = /** @type {HTMLElement} */ (event.target).closest('button')
    if (!chip) return
    const state = chip.dataset.state ?? ''
    ui.filterState.value = ui.filterState.value === state ? '' : state
    onFilterChange()
  })
  ui.circuitRows.addEventListener('click', onTableClick)
  ui.fleetRows.addEventListener('click', onTableClick)
  setInterval(tick, TICK_MS)
  getJson(`${base}api/circuits`)
    .then((state) => {
      flags.fleetReceived = true
      applyState(/** @type {DashboardState} */ (state))
    })
    .catch(() => showMessage('error', 'Could not load the circuits; waiting for the live stream.'))
    .finally(connect)
  window.addEventListener('pagehide', closeStream)
}

start()
