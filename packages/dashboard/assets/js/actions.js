// @ts-check
// The buttons that force a circuit open, disable, close or reset it, through the server.

import { circuitUrl } from './api.js'
import { ACTIONS } from './constants.js'
import { quoted, stateLabel } from './format.js'
import { applyActionResult } from './model.js'
import { showMessage } from './ui.js'

/** @typedef {import('./types.js').Action} Action */

/**
 * Asks the server to act on a circuit; a refusal is shown, never thrown.
 * @param {string} name
 * @param {Action} action
 * @param {HTMLButtonElement} button
 */
export async function act(name, action, button) {
  const label = ACTIONS.find((a) => a.action === action)?.label ?? action
  const url = circuitUrl(name)
  if (url === null) {
    showMessage(
      'error',
      `${label}: ${quoted(name)} has a name no URL can carry; act on it in code.`,
    )
    return
  }
  button.disabled = true
  try {
    const response = await fetch(`${url}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tripswitch-action': '1' },
      body: '{}',
    })
    const body = await response.json().catch(() => null)
    if (response.ok) {
      const state = typeof body?.state === 'string' ? body.state : null
      if (state !== null) applyActionResult(name, state)
      showMessage(
        'ok',
        `${label}: ${quoted(name)} is now ${stateLabel(state ?? '?').toLowerCase()}.`,
      )
    } else if (response.status === 403) {
      showMessage('error', `Refused: you may not ${label.toLowerCase()} ${quoted(name)} (403).`)
    } else {
      const code = typeof body?.error?.code === 'string' ? body.error.code : 'error'
      showMessage('error', `${label} ${quoted(name)} failed: ${response.status} ${code}.`)
    }
  } catch {
    showMessage('error', `${label} ${quoted(name)}: the server could not be reached.`)
  } finally {
    button.disabled = false
  }
}
