// @ts-check
// Pieces shared by the rows of both tables and the timelines.

import { ACTIONS } from './constants.js'
import { el, setText } from './dom.js'
import { clockTime, countdown, stateClass, stateLabel } from './format.js'
import { model } from './state.js'

/** @typedef {import('./types.js').TransitionView} TransitionView */

/** @param {string} name @param {boolean} withActions */
export function actionButtons(name, withActions) {
  const cell = el('td', 'actions-col')
  cell.hidden = !withActions
  for (const { action, label } of ACTIONS) {
    const button = el('button', `action action-${action}`, label)
    button.type = 'button'
    button.dataset.action = action
    button.setAttribute('aria-label', `${label} ${name}`)
    cell.append(button)
  }
  return cell
}

/** A state cell: a coloured badge whose text says the state (colour is never the only cue). */
export function stateBadge() {
  return el('span', 'state')
}

/** @param {HTMLElement} badge @param {string} state */
export function showState(badge, state) {
  setText(badge, stateLabel(state))
  if (badge.className !== stateClass(state)) badge.className = stateClass(state)
}

/**
 * Next-probe text: a countdown while open, otherwise what the state means for probes.
 * @param {string} name
 * @param {string} state
 * @param {number} now performance.now()
 */
export function probeText(name, state, now) {
  if (state === 'open') {
    const at = model.probeAt.get(name)
    if (at === undefined) return '…'
    return countdown(at - now)
  }
  if (state === 'half_open') return 'probing'
  if (state === 'forced_open') return 'held open'
  return '–'
}

/**
 * A cell whose changing text sits in a fixed-size box: the countdown rewrites it every second,
 * and a box of its own keeps that from laying out the whole table again.
 * @param {string} className
 * @returns {{ cell: HTMLTableCellElement, box: HTMLSpanElement }}
 */
export function boxedCell(className) {
  const cell = el('td', className)
  const box = el('span', 'box')
  cell.append(box)
  return { cell, box }
}

/**
 * @param {TransitionView} t
 * @param {boolean} withName
 */
export function timelineItem(t, withName) {
  const item = el('li')
  const time = el('time', 'when', clockTime(t.at))
  time.dateTime = new Date(t.at).toISOString()
  item.append(time)
  if (withName) item.append(el('span', 'who', t.name))
  const move = el('span', 'move')
  move.append(
    el('span', stateClass(t.from), stateLabel(t.from)),
    ' → ',
    el('span', stateClass(t.to), stateLabel(t.to)),
  )
  item.append(move)
  if (t.reason) item.append(el('span', 'reason', t.reason))
  return item
}
