// @ts-check
// The SVG charts of failure and slow-call rates, redrawn only when their samples change.

import { HISTORY_MS, MIN_SPAN_MS } from './constants.js'
import { setAttr, setText, svg } from './dom.js'
import { percent } from './format.js'
import { model } from './state.js'

/** @typedef {import('./types.js').Sample} Sample */

/**
 * How much time a chart covers: from its oldest sample to `now`, at least a minute and at most
 * HISTORY_MS, so that a page opened a minute ago does not squeeze its data into a corner.
 * @param {readonly Sample[]} samples
 * @param {number} now
 */
function chartSpan(samples, now) {
  const oldest = samples[0]?.at ?? now
  return Math.min(HISTORY_MS, Math.max(MIN_SPAN_MS, now - oldest))
}

/** @param {number} span ms */
function spanLabel(span) {
  const minutes = span / 60_000
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`
}

/**
 * A polyline of `value` over the `span` ms ending at `now` (server time).
 * @param {readonly Sample[]} samples
 * @param {(s: Sample) => number} value a fraction in [0, 1]
 * @param {{ now: number, span: number, width: number, height: number }} frame
 */
function linePoints(samples, value, { now, span, width, height }) {
  const from = now - span
  const parts = []
  for (const s of samples) {
    if (s.at < from) continue
    const v = Math.min(1, Math.max(0, value(s) || 0))
    const x = ((s.at - from) / span) * width
    const y = height - 1 - v * (height - 2)
    parts.push(`${x.toFixed(1)},${y.toFixed(1)}`)
  }
  return parts.join(' ')
}

/**
 * Draws `value` of `samples` as the points of `line`.
 * @param {SVGElement} line a polyline
 * @param {readonly Sample[]} samples
 * @param {(s: Sample) => number} value
 * @param {{ now: number, span: number, width: number, height: number }} frame
 */
function drawLine(line, samples, value, frame) {
  setAttr(line, 'points', linePoints(samples, value, frame))
}

/**
 * The samples and frame of `name`'s chart when they changed since `chart` last drew, else null.
 * @param {{ version: number, width: number, height: number }} chart
 * @param {string} name
 * @param {number} now
 */
function changedFrame(chart, name, now) {
  const version = model.historyVersion.get(name) ?? 0
  if (version === chart.version) return null
  chart.version = version
  const samples = model.history.get(name) ?? []
  const frame = { now, span: chartSpan(samples, now), width: chart.width, height: chart.height }
  return { samples, frame }
}

/** A sparkline of one circuit's failure rate. */
export class Sparkline {
  constructor() {
    this.width = 120
    this.height = 28
    this.root = svg('svg', {
      class: 'sparkline',
      viewBox: `0 0 ${this.width} ${this.height}`,
      width: String(this.width),
      height: String(this.height),
      role: 'img',
    })
    this.root.append(
      svg('line', { class: 'axis', x1: '0', x2: String(this.width), y1: '27.5', y2: '27.5' }),
    )
    this.line = svg('polyline', { class: 'failure-line', points: '' })
    this.root.append(this.line)
    this.version = -1
  }

  /**
   * @param {string} name
   * @param {number} now
   */
  update(name, now) {
    const changed = changedFrame(this, name, now)
    if (changed === null) return
    const { samples, frame } = changed
    drawLine(this.line, samples, (s) => s.failureRate, frame)
    const peak = samples.reduce((max, s) => Math.max(max, s.failureRate || 0), 0)
    const label = `Failure rate over the last ${spanLabel(frame.span)}, peak ${percent(peak)}`
    setAttr(this.root, 'aria-label', label)
  }
}

/** The larger chart in an expanded row: failure and slow-call rate with a grid. */
export class HistoryChart {
  constructor() {
    this.width = 480
    this.height = 120
    this.root = svg('svg', {
      class: 'history-chart',
      viewBox: `-40 -8 ${this.width + 46} ${this.height + 28}`,
      role: 'img',
      'aria-label': 'Failure rate and slow-call rate over the last minutes',
    })
    for (const level of [0, 0.5, 1]) {
      const y = String(this.height - 1 - level * (this.height - 2))
      this.root.append(
        svg('line', { class: 'grid', x1: '0', x2: String(this.width), y1: y, y2: y }),
      )
      const label = svg('text', { class: 'tick', x: '-6', y, 'text-anchor': 'end', dy: '4' })
      label.textContent = percent(level)
      this.root.append(label)
    }
    const tick = (/** @type {number} */ x, /** @type {string} */ anchor) =>
      svg('text', {
        class: 'tick',
        x: String(x),
        y: String(this.height + 16),
        'text-anchor': anchor,
      })
    this.start = tick(0, 'start')
    const end = tick(this.width, 'end')
    end.textContent = 'now'
    this.root.append(this.start, end)
    this.slow = svg('polyline', { class: 'slow-line', points: '' })
    this.failure = svg('polyline', { class: 'failure-line', points: '' })
    this.root.append(this.slow, this.failure)
    this.version = -1
  }

  /**
   * @param {string} name
   * @param {number} now
   */
  update(name, now) {
    const changed = changedFrame(this, name, now)
    if (changed === null) return
    const { samples, frame } = changed
    drawLine(this.failure, samples, (s) => s.failureRate, frame)
    drawLine(this.slow, samples, (s) => s.slowCallRate, frame)
    setText(this.start, `−${spanLabel(frame.span)}`)
  }
}
