// @ts-check
// The panel under an expanded row of the local table.

import { timelineItem } from './cells.js'
import { HistoryChart } from './chart.js'
import { TIMELINE_LENGTH } from './constants.js'
import { el, setText } from './dom.js'
import { model } from './state.js'

/** @typedef {import('./types.js').CircuitDetail} CircuitDetail */
/** @typedef {import('./types.js').CircuitView} CircuitView */
/** @typedef {import('./types.js').TransitionView} TransitionView */

/** The expanded panel under a row: a larger chart, totals and the circuit's transitions. */
export class DetailRow {
  /** @param {string} name */
  constructor(name) {
    this.name = name
    this.tr = el('tr', 'detail')
    const cell = el('td')
    cell.colSpan = 8
    this.chart = new HistoryChart()
    const legend = el('p', 'legend')
    legend.append(
      el('span', 'key failure', 'Failure rate'),
      el('span', 'key slow', 'Slow-call rate'),
    )
    const chartBox = el('div', 'detail-chart')
    chartBox.append(this.chart.root, legend)
    this.totals = el('dl', 'totals')
    const transitionsBox = el('div', 'detail-transitions')
    transitionsBox.append(el('h3', undefined, 'Transitions'))
    this.transitions = el('ol', 'timeline')
    this.empty = el('p', 'empty', 'None seen yet.')
    transitionsBox.append(this.transitions, this.empty)
    const totalsBox = el('div', 'detail-totals')
    totalsBox.append(el('h3', undefined, 'Since start'), this.totals)
    const body = el('div', 'detail-body')
    body.append(chartBox, totalsBox, transitionsBox)
    cell.append(body)
    this.tr.append(cell)
    /** @type {TransitionView[]} */
    this.items = []
    this.dirty = true
  }

  /** @param {TransitionView} transition */
  addTransition(transition) {
    this.items = [transition, ...this.items].slice(0, TIMELINE_LENGTH)
    this.dirty = true
  }

  /** @param {CircuitDetail} detail */
  setDetail(detail) {
    this.items = [...detail.transitions].sort((a, b) => b.at - a.at).slice(0, TIMELINE_LENGTH)
    this.dirty = true
  }

  /** @param {CircuitView} view */
  update(view) {
    this.chart.update(view.name, model.at)
    const t = view.totals
    if (t) {
      const entries = [
        ['Calls', t.calls],
        ['Successful', t.successful],
        ['Failed', t.failed],
        ['Timeouts', t.timeouts],
        ['Refused', t.notPermitted],
        ['Slow', t.slowCalls],
        ['In flight', view.activeCalls],
        ['Mode', view.mode],
      ]
      if (this.totals.children.length === 0)
        for (const [label] of entries)
          this.totals.append(el('dt', undefined, String(label)), el('dd'))
      entries.forEach(([, value], i) => {
        const dd = this.totals.children[i * 2 + 1]
        if (dd) setText(dd, typeof value === 'number' ? value.toLocaleString('en') : String(value))
      })
    }
    if (!this.dirty) return
    this.dirty = false
    this.empty.hidden = this.items.length > 0
    this.transitions.replaceChildren(...this.items.map((t) => timelineItem(t, false)))
  }
}
