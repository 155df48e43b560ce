// @ts-check
// The elements of the page template the script fills in, found once.

import { byId } from './dom.js'

export const ui = {
  instance: byId('instance'),
  connection: byId('connection'),
  summary: byId('summary'),
  filterName: /** @type {HTMLInputElement} */ (byId('filter-name')),
  filterState: /** @type {HTMLSelectElement} */ (byId('filter-state')),
  sort: /** @type {HTMLSelectElement} */ (byId('sort')),
  readOnly: byId('read-only'),
  message: byId('message'),
  circuitRows: byId('circuit-rows'),
  circuitsEmpty: byId('circuits-empty'),
  circuitsPager: byId('circuits-pager'),
  timeline: byId('timeline'),
  timelineEmpty: byId('timeline-empty'),
  fleet: byId('fleet'),
  fleetRows: byId('fleet-rows'),
  fleetEmpty: byId('fleet-empty'),
  fleetPager: byId('fleet-pager'),
}

/**
 * @param {'ok' | 'error'} kind
 * @param {string} text
 */
export function showMessage(kind, text) {
  ui.message.hidden = false
  ui.message.dataset.kind = kind
  ui.message.textContent = text
}
