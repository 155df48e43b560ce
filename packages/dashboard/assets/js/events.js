// @ts-check
// The live stream of snapshots and transitions, reopened when the server closes it.

import { base } from './api.js'
import { RECONNECT_MS } from './constants.js'
import { setText } from './dom.js'
import { applyState, applyTransition } from './model.js'
import { flags } from './state.js'
import { ui } from './ui.js'

/** @typedef {import('./types.js').DashboardState} DashboardState */
/** @typedef {import('./types.js').TransitionView} TransitionView */

let source = /** @type {EventSource | null} */ (null)

export function connect() {
  const events = new EventSource(`${base}api/events`)
  source = events
  events.addEventListener('open', () => setConnection('live', 'Live'))
  events.addEventListener('snapshot', (event) => {
    const state = parse(/** @type {MessageEvent<string>} */ (event).data)
    if (state === null) return
    flags.fleetReceived = true
    applyState(/** @type {DashboardState} */ (state))
  })
  events.addEventListener('transition', (event) => {
    const transition = parse(/** @type {MessageEvent<string>} */ (event).data)
    if (transition !== null) applyTransition(/** @type {TransitionView} */ (transition))
  })
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      // The server refused the stream (too many viewers, restarting): try again later.
      setConnection('offline', 'Disconnected, retrying…')
      events.close()
      setTimeout(connect, RECONNECT_MS)
    } else setConnection('reconnecting', 'Reconnecting…')
  })
}

/** @param {string} data */
export function parse(data) {
  try {
    return /** @type {unknown} */ (JSON.parse(data))
  } catch {
    return null
  }
}

/** @param {string} status @param {string} text */
function setConnection(status, text) {
  ui.connection.dataset.status = status
  setText(ui.connection, text)
}

/** Closes the stream, so a page being left frees its server connection at once. */
export function closeStream() {
  source?.close()
}
