// @ts-check
// Draws the whole page from the model; the tables, summary and timeline each keep their rows.

import { setText } from './dom.js'
import { renderFleet } from './fleet-table.js'
import { renderCircuits } from './local-table.js'
import { flags, model } from './state.js'
import { renderSummary } from './summary.js'
import { renderTimeline } from './timeline.js'
import { ui } from './ui.js'

let firstRender = true

export function render() {
  setText(ui.instance, model.instance || '…')
  ui.readOnly.hidden = model.canAct
  for (const th of document.querySelectorAll('th.actions-col')) {
    if (th instanceof HTMLElement) th.hidden = !model.canAct
  }
  renderSummary()
  renderCircuits()
  renderFleet()
  if (flags.timelineDirty) renderTimeline()
  if (firstRender) {
    firstRender = false
    performance.mark('tripswitch:rendered')
    document.documentElement.dataset.rendered = 'true'
  }
}
