// @ts-check
// The chips counting circuits by state (which also filter by state) and the tab's title.

import { STATES, TITLE } from './constants.js'
import { el, setAttr, setText } from './dom.js'
import { stateClass, stateLabel } from './format.js'
import { model } from './state.js'
import { ui } from './ui.js'

export function renderSummary() {
  /** @type {Record<string, number>} */
  const counts = {}
  for (const view of model.circuits.values()) counts[view.state] = (counts[view.state] ?? 0) + 1
  // The tab says how many circuits refuse calls, for a dashboard left open in the background.
  const refusing = (counts.open ?? 0) + (counts.forced_open ?? 0)
  const title = refusing > 0 ? `(${refusing} open) ${TITLE}` : TITLE
  if (document.title !== title) document.title = title
  if (ui.summary.children.length === 0) {
    for (const state of STATES) {
      const button = el('button', 'chip')
      button.type = 'button'
      button.dataset.state = state
      button.append(el('span', stateClass(state), stateLabel(state)), el('span', 'count', '0'))
      const item = el('li')
      item.append(button)
      ui.summary.append(item)
    }
  }
  for (const button of ui.summary.querySelectorAll('button')) {
    const state = button.dataset.state ?? ''
    const count = button.querySelector('.count')
    if (count) setText(count, String(counts[state] ?? 0))
    setAttr(button, 'aria-pressed', ui.filterState.value === state ? 'true' : 'false')
  }
}
