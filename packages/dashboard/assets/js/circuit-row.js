// @ts-check
// A row of the local table: one circuit of this instance.

import { actionButtons, boxedCell, probeText, showState, stateBadge } from './cells.js'
import { Sparkline } from './chart.js'
import { el, setAttr, setText } from './dom.js'
import { percent, rate } from './format.js'
import { details, model } from './state.js'

/** @typedef {import('./types.js').CircuitView} CircuitView */

/** One circuit's row, made once and updated cell by cell. */
export class CircuitRow {
  /** @param {string} name */
  constructor(name) {
    this.name = name
    this.tr = el('tr', 'circuit')
    this.tr.dataset.name = name
    const nameCell = el('th', 'name')
    nameCell.scope = 'row'
    this.toggle = el('button', 'expand', name)
    this.toggle.type = 'button'
    this.toggle.dataset.expand = ''
    this.toggle.setAttribute('aria-expanded', 'false')
    this.toggle.title = 'Show history and transitions'
    nameCell.append(this.toggle)
    this.state = stateBadge()
    const stateCell = el('td')
    stateCell.append(this.state)
    this.failureRate = el('td', 'num failure-rate')
    this.slowCallRate = el('td', 'num slow-rate')
    this.callsPerSecond = el('td', 'num calls-per-second')
    const probe = boxedCell('probe')
    this.probe = probe.box
    this.sparkline = new Sparkline()
    const chartCell = el('td', 'chart')
    chartCell.append(this.sparkline.root)
    this.actions = actionButtons(name, model.canAct)
    this.tr.append(
      nameCell,
      stateCell,
      this.failureRate,
      this.slowCallRate,
      this.callsPerSecond,
      probe.cell,
      chartCell,
      this.actions,
    )
  }

  /** @param {CircuitView} view @param {number} now */
  update(view, now) {
    showState(this.state, view.state)
    setAttr(this.tr, 'data-state', view.state)
    setText(this.failureRate, percent(view.failureRate))
    setText(this.slowCallRate, percent(view.slowCallRate))
    setText(this.callsPerSecond, rate(view.callsPerSecond))
    setText(this.probe, probeText(view.name, view.state, now))
    this.sparkline.update(view.name, model.at)
    if (this.actions.hidden === model.canAct) this.actions.hidden = !model.canAct
    const expanded = details.has(view.name) ? 'true' : 'false'
    setAttr(this.toggle, 'aria-expanded', expanded)
  }
}
