// @ts-check
// How numbers, times, states and names are written on the page.

import { MESSAGE_NAME_LENGTH, STATE_LABELS, STATES } from './constants.js'

/** @typedef {import('./types.js').State} State */

/** @param {string} state */
export function stateLabel(state) {
  return STATE_LABELS[state] ?? String(state)
}

/** @param {string} state */
export function stateClass(state) {
  return STATES.includes(/** @type {State} */ (state)) ? `state state-${state}` : 'state'
}

/** @param {number} rate a fraction in [0, 1] */
export function percent(rate) {
  if (!Number.isFinite(rate)) return '–'
  const value = rate * 100
  return `${value > 0 && value < 10 ? value.toFixed(1) : Math.round(value)}%`
}

/** @param {number} perSecond */
export function rate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0'
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
}

/** @param {number} ms */
export function duration(ms) {
  const seconds = Math.ceil(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`
}

/** @param {number} at epoch ms */
export function clockTime(at) {
  return new Date(at).toLocaleTimeString([], { hour12: false })
}

/** @param {string} name */
export function quoted(name) {
  const short = name.length > MESSAGE_NAME_LENGTH ? `${name.slice(0, MESSAGE_NAME_LENGTH)}…` : name
  return `“${short}”`
}

/** @param {number} left ms until the probe */
export function countdown(left) {
  return left > 0 ? `in ${duration(left)}` : 'due now'
}
