// @ts-check
// The page-wide list of recent transitions, newest first.

import { timelineItem } from './cells.js'
import { flags, model } from './state.js'
import { ui } from './ui.js'

export function renderTimeline() {
  flags.timelineDirty = false
  ui.timeline.replaceChildren(...model.timeline.map((t) => timelineItem(t, true)))
  ui.timelineEmpty.hidden = model.timeline.length > 0
}
