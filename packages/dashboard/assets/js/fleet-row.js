// @ts-check
// A row of the fleet table: one circuit of the shared store.

import { actionButtons, boxedCell, probeText, showState, stateBadge } from './cells.js'
import { el, setAttr, setText } from './dom.js'
import { clockTime, countdown } from './format.js'
import { model } from './state.js'

/** @typedef {import('./types.js').FleetCircuitView} FleetCircuitView */

/** One circuit of the shared store. */
export class FleetRow {
  /** @param {string} name */
  constructor(name) {
    this.tr = el('tr', 'circuit')
    this.tr.dataset.name = name
    const nameCell = el('th', 'name')
    nameCell.scope = 'row'
    nameCell.append(el('span', undefined, name))
    this.remote = el('span', 'tag', 'not on this instance')
    nameCell.append(this.remote)
    this.state = stateBadge()
    const stateCell = el('td')
    stateCell.append(this.state)
    const probe = boxedCell('probe')
    this.probe = probe.box
    this.openings = el('td', 'num')
    this.instances = el('td', 'instances')
    this.actions = actionButtons(name, model.canAct)
    this.tr.append(nameCell, stateCell, probe.cell, this.openings, this.instances, this.actions)
    /** @type {number} performance.now() of the probe, from this view's retryAfterMs */
    this.probeAt = 0
  }

  /** @param {FleetCircuitView} view @param {number} now @param {boolean} receivedNow */
  update(view, now, receivedNow) {
    showState(this.state, view.state)
    setAttr(this.tr, 'data-state', view.state)
    if (receivedNow) this.probeAt = now + view.retryAfterMs
    const probe =
      view.state === 'open' ? countdown(this.probeAt - now) : probeText('', view.state, now)
    setText(this.probe, probe)
    setText(this.openings, String(view.openings))
    const ids = view.instances.map((i) => (i.id === model.instance ? `${i.id} (this one)` : i.id))
    setText(this.instances, ids.length === 0 ? 'none reporting' : ids.join(', '))
    setAttr(
      this.instances,
      'title',
      view.instances.map((i) => `${i.id}: last seen ${clockTime(i.lastSeen)}`).join('\n'),
    )
    this.remote.hidden = model.circuits.has(view.name)
    if (this.actions.hidden === model.canAct) this.actions.hidden = !model.canAct
  }
}
