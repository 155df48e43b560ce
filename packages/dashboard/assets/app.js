// @ts-check
// The Tripswitch dashboard page. Plain browser JavaScript, no dependencies, checked by tsc
// (tsconfig.assets.json). Every piece of data reaches the DOM through textContent or an
// attribute set by the DOM API, never through HTML parsing: circuit names are untrusted.

/**
 * @typedef {'closed' | 'open' | 'half_open' | 'forced_open' | 'disabled'} State
 * @typedef {{ calls: number, successful: number, failed: number, ignored: number,
 *   notPermitted: number, busy: number, timeouts: number, fallbacks: number, slowCalls: number,
 *   transitions: Record<string, number> }} CircuitTotals
 * @typedef {{ name: string, state: State, mode: string, failureRate: number,
 *   slowCallRate: number, calls: number, failures: number, slowCalls: number,
 *   consecutiveFailures: number, retryAfterMs: number, activeCalls: number,
 *   generation: number, totals: CircuitTotals, callsPerSecond: number }} CircuitView
 * @typedef {{ id: string, lastSeen: number }} FleetInstance
 * @typedef {{ name: string, state: State, generation: number, retryAfterMs: number,
 *   openings: number, instances: FleetInstance[] }} FleetCircuitView
 * @typedef {{ instance: string, canAct: boolean, at: number, circuits: CircuitView[],
 *   fleet: FleetCircuitView[] | null }} DashboardState
 * @typedef {{ name: string, from: State, to: State, reason: string, at: number }} TransitionView
 * @typedef {{ at: number, failureRate: number, slowCallRate: number, callsPerSecond: number }} Sample
 * @typedef {CircuitView & { history: Sample[], transitions: TransitionView[] }} CircuitDetail
 * @typedef {'open' | 'disable' | 'close' | 'reset'} Action
 */

const SVG_NS = 'http://www.w3.org/2000/svg'
/** Rows per page: keeps the DOM small with thousands of circuits. */
const PAGE_SIZE = 100
/** How far back the charts reach (the server keeps the same span of history). */
const HISTORY_MS = 5 * 60_000
/**
 * Spacing of the chart samples kept from snapshots (ms), as the server's default history; the
 * newest sample is replaced by each snapshot until it is this far from the one before.
 */
const SAMPLE_GAP_MS = 5_000
/** The shortest span a chart covers (ms). */
const MIN_SPAN_MS = 60_000
/** Transitions kept in the page-wide timeline. */
const TIMELINE_LENGTH = 50
/** Countdown refresh period (ms). */
const TICK_MS = 250
/** Wait before reopening a stream the server closed (ms). */
const RECONNECT_MS = 5_000
/** Detail requests in flight at once when seeding charts of visible rows. */
const SEED_CONCURRENCY = 4
/** The page's title, before the count of open circuits. */
const TITLE = 'Tripswitch circuits'
/** Longest name quoted in a message, in characters. */
const MESSAGE_NAME_LENGTH = 80

/** @type {readonly State[]} */
const STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled']
/** @type {Readonly<Record<string, string>>} */
const STATE_LABELS = {
  closed: 'Closed',
  open: 'Open',
  half_open: 'Half-open',
  forced_open: 'Forced open',
  disabled: 'Disabled',
}
/** Lower is more urgent, for the "trouble first" order. @type {Readonly<Record<string, number>>} */
const SEVERITY = { open: 0, forced_open: 1, half_open: 2, disabled: 3, closed: 4 }
/** @type {readonly { action: Action, label: string }[]} */
const ACTIONS = [
  { action: 'open', label: 'Force open' },
  { action: 'disable', label: 'Disable' },
  { action: 'close', label: 'Close' },
  { action: 'reset', label: 'Reset' },
]

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

/**
 * The element with `id`, which the page template must contain.
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`The page has no #${id}`)
  return element
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, className, text) {
  const element = document.createElement(tag)
  if (className) element.className = className
  if (text !== undefined) element.textContent = text
  return element
}

/**
 * @param {string} tag
 * @param {Record<string, string>} attributes
 * @returns {SVGElement}
 */
function svg(tag, attributes) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag))
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value)
  return element
}

/**
 * Sets text only when it changed, so an unchanged cell costs a string comparison.
 * @param {Element} element
 * @param {string} text
 */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text
}

/**
 * @param {Element} element
 * @param {string} name
 * @param {string} value
 */
function setAttr(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value)
}

/**
 * Makes `parent`'s children exactly `nodes`, in order, moving only what is out of place.
 * @param {Element} parent
 * @param {readonly Element[]} nodes
 */
function reconcile(parent, nodes) {
  nodes.forEach((node, i) => {
    const current = parent.children[i]
    if (current !== node) parent.insertBefore(node, current ?? null)
  })
  while (parent.children.length > nodes.length) parent.lastElementChild?.remove()
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** @param {string} state */
function stateLabel(state) {
  return STATE_LABELS[state] ?? String(state)
}

/** @param {string} state */
function stateClass(state) {
  return STATES.includes(/** @type {State} */ (state)) ? `state state-${state}` : 'state'
}

/** @param {number} rate a fraction in [0, 1] */
function percent(rate) {
  if (!Number.isFinite(rate)) return '–'
  const value = rate * 100
  return `${value > 0 && value < 10 ? value.toFixed(1) : Math.round(value)}%`
}

/** @param {number} perSecond */
function rate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0'
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
}

/** @param {number} ms */
function duration(ms) {
  const seconds = Math.ceil(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`
}

/** @param {number} at epoch ms */
function clockTime(at) {
  return new Date(at).toLocaleTimeString([], { hour12: false })
}

/** @param {string} name */
function quoted(name) {
  const short = name.length > MESSAGE_NAME_LENGTH ? `${name.slice(0, MESSAGE_NAME_LENGTH)}…` : name
  return `“${short}”`
}

/** @param {string} name */
function circuitUrl(name) {
  try {
    return `${base}api/circuits/${encodeURIComponent(name)}`
  } catch {
    // A lone surrogate cannot be percent-encoded: such a circuit has no URL.
    return null
  }
}

// ---------------------------------------------------------------------------------------------
// Model: what the server told us, plus chart samples gathered from snapshots

/** The mount prefix, ending with '/', from the template. */
const base = readBase()

function readBase() {
  const meta = document.querySelector('meta[name="tripswitch-base"]')
  const content = meta?.getAttribute('content') ?? ''
  // An unfilled template (opened as a file) falls back to the page's own folder.
  if (content === '' || content.includes('%BASE%')) return './'
  return content.endsWith('/') ? content : `${content}/`
}

const model = {
  instance: '',
  canAct: false,
  /** Server time (epoch ms) of the last snapshot. */
  at: 0,
  /** @type {Map<string, CircuitView>} */
  circuits: new Map(),
  /** @type {string[]} names in server order (sorted by name) */
  names: [],
  /** @type {FleetCircuitView[] | null} */
  fleet: null,
  /** @type {Map<string, Sample[]>} */
  history: new Map(),
  /** Bumped per circuit when its samples change, so charts redraw only then. @type {Map<string, number>} */
  historyVersion: new Map(),
  /** performance.now() at which each open circuit allows a probe. @type {Map<string, number>} */
  probeAt: new Map(),
  /** @type {TransitionView[]} newest first */
  timeline: [],
  /** @type {Set<string>} dedupe keys of timeline entries */
  timelineKeys: new Set(),
}

/** @param {TransitionView} t */
function transitionKey(t) {
  return `${t.at}\u0000${t.name}\u0000${t.from}\u0000${t.to}`
}

/**
 * Adds a snapshot's sample to the chart of `name`. Only circuits that were shown keep samples
 * (the server holds the history of the others, fetched when they are shown), so the page's
 * memory grows with what is looked at, not with the number of circuits.
 * @param {string} name
 * @param {Sample} sample
 */
function addSample(name, sample) {
  if (!seeded.has(name)) return
  let samples = model.history.get(name)
  if (samples === undefined) {
    samples = []
    model.history.set(name, samples)
  }
  const previous = samples[samples.length - 2]
  const last = samples[samples.length - 1]
  if (previous !== undefined && last !== undefined && sample.at - previous.at < SAMPLE_GAP_MS) {
    samples[samples.length - 1] = sample
    // Charts redraw when a value moved or a sample was added, not at every snapshot.
    if (last.failureRate === sample.failureRate && last.slowCallRate === sample.slowCallRate) return
  } else samples.push(sample)
  const oldest = sample.at - HISTORY_MS
  let drop = 0
  while (drop < samples.length && /** @type {Sample} */ (samples[drop]).at < oldest) drop++
  if (drop > 0) samples.splice(0, drop)
  model.historyVersion.set(name, (model.historyVersion.get(name) ?? 0) + 1)
}

/**
 * Puts the server's history in front of the samples this page gathered itself.
 * @param {string} name
 * @param {readonly Sample[]} serverHistory
 */
function seedHistory(name, serverHistory) {
  const own = model.history.get(name) ?? []
  const firstOwn = own[0]?.at ?? Number.POSITIVE_INFINITY
  const earlier = serverHistory.filter((s) => s.at < firstOwn - 500)
  model.history.set(name, [...earlier, ...own])
  model.historyVersion.set(name, (model.historyVersion.get(name) ?? 0) + 1)
}

/** @param {DashboardState} state */
function applyState(state) {
  if (state === null || typeof state !== 'object' || !Array.isArray(state.circuits)) return
  model.instance = String(state.instance)
  model.canAct = state.canAct === true
  model.at = state.at
  const now = performance.now()
  /** @type {Map<string, CircuitView>} */
  const circuits = new Map()
  for (const view of state.circuits) {
    circuits.set(view.name, view)
    addSample(view.name, {
      at: state.at,
      failureRate: view.failureRate,
      slowCallRate: view.slowCallRate,
      callsPerSecond: view.callsPerSecond,
    })
    if (view.state === 'open') model.probeAt.set(view.name, now + view.retryAfterMs)
    else model.probeAt.delete(view.name)
  }
  for (const name of model.circuits.keys()) if (!circuits.has(name)) forget(name)
  model.circuits = circuits
  model.names = [...circuits.keys()]
  model.fleet = Array.isArray(state.fleet) ? state.fleet : null
  scheduleRender()
}

/** @param {string} name a circuit the server no longer reports */
function forget(name) {
  model.history.delete(name)
  model.historyVersion.delete(name)
  model.probeAt.delete(name)
  circuitRows.delete(name)
  details.delete(name)
  seeded.delete(name)
}

/** @param {TransitionView} transition */
function applyTransition(transition) {
  if (transition === null || typeof transition.name !== 'string') return
  const view = model.circuits.get(transition.name)
  if (view !== undefined) {
    model.circuits.set(transition.name, { ...view, state: transition.to })
    // Until the next snapshot says how long, an opened circuit shows no countdown.
    if (transition.to !== 'open') model.probeAt.delete(transition.name)
  }
  addToTimeline([transition])
  details.get(transition.name)?.addTransition(transition)
  scheduleRender()
}

/** @param {readonly TransitionView[]} transitions */
function addToTimeline(transitions) {
  let added = false
  for (const t of transitions) {
    const key = transitionKey(t)
    if (model.timelineKeys.has(key)) continue
    model.timelineKeys.add(key)
    model.timeline.push(t)
    added = true
  }
  if (!added) return
  model.timeline.sort((a, b) => b.at - a.at)
  for (const dropped of model.timeline.splice(TIMELINE_LENGTH))
    model.timelineKeys.delete(transitionKey(dropped))
  timelineDirty = true
}

// ---------------------------------------------------------------------------------------------
// Charts

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

/** A sparkline of one circuit's failure rate. */
class Sparkline {
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
    const version = model.historyVersion.get(name) ?? 0
    if (version === this.version) return
    this.version = version
    const samples = model.history.get(name) ?? []
    const frame = { now, span: chartSpan(samples, now), width: this.width, height: this.height }
    setAttr(
      this.line,
      'points',
      linePoints(samples, (s) => s.failureRate, frame),
    )
    const peak = samples.reduce((max, s) => Math.max(max, s.failureRate || 0), 0)
    const label = `Failure rate over the last ${spanLabel(frame.span)}, peak ${percent(peak)}`
    setAttr(this.root, 'aria-label', label)
  }
}

/** The larger chart in an expanded row: failure and slow-call rate with a grid. */
class HistoryChart {
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
    const version = model.historyVersion.get(name) ?? 0
    if (version === this.version) return
    this.version = version
    const samples = model.history.get(name) ?? []
    const frame = { now, span: chartSpan(samples, now), width: this.width, height: this.height }
    setAttr(
      this.failure,
      'points',
      linePoints(samples, (s) => s.failureRate, frame),
    )
    setAttr(
      this.slow,
      'points',
      linePoints(samples, (s) => s.slowCallRate, frame),
    )
    setText(this.start, `−${spanLabel(frame.span)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Rows of the local table

/** @param {string} name @param {boolean} withActions */
function actionButtons(name, withActions) {
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
function stateBadge() {
  return el('span', 'state')
}

/** @param {number} left ms until the probe */
function countdown(left) {
  return left > 0 ? `in ${duration(left)}` : 'due now'
}

/** @param {HTMLElement} badge @param {string} state */
function showState(badge, state) {
  setText(badge, stateLabel(state))
  if (badge.className !== stateClass(state)) badge.className = stateClass(state)
}

/**
 * Next-probe text: a countdown while open, otherwise what the state means for probes.
 * @param {string} name
 * @param {string} state
 * @param {number} now performance.now()
 */
function probeText(name, state, now) {
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
function boxedCell(className) {
  const cell = el('td', className)
  const box = el('span', 'box')
  cell.append(box)
  return { cell, box }
}

/** One circuit's row, made once and updated cell by cell. */
class CircuitRow {
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

/** The expanded panel under a row: a larger chart, totals and the circuit's transitions. */
class DetailRow {
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

// ---------------------------------------------------------------------------------------------
// Rows of the fleet table

/** One circuit of the shared store. */
class FleetRow {
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

// ---------------------------------------------------------------------------------------------
// Rendering

const ui = {
  instance: byId('instance'),
  connection: byId('connection'),
  summary: byId('summary'),
  filterName: /** @type {HTMLInputElement} */ (byId('filter-name')),
  filterState: /** @type {HTMLSelectElement} */ (byId('filter-state')),
  sort: /** @type {HTMLSelectElement} */ (byId('sort')),
  readOnly: byId('read-only'),
  message: byId('message'),
  circuitRows: byId('circuit-rows'),
  circuitsEmpty: byId('circuits-empty'),
  circuitsPager: byId('circuits-pager'),
  timeline: byId('timeline'),
  timelineEmpty: byId('timeline-empty'),
  fleet: byId('fleet'),
  fleetRows: byId('fleet-rows'),
  fleetEmpty: byId('fleet-empty'),
  fleetPager: byId('fleet-pager'),
}

/** @type {Map<string, CircuitRow>} */
const circuitRows = new Map()
/** @type {Map<string, FleetRow>} */
const fleetRows = new Map()
/** Expanded circuits. @type {Map<string, DetailRow>} */
const details = new Map()
/** Circuits whose chart was seeded from the server's history (or is being). @type {Set<string>} */
const seeded = new Set()
const pages = { circuits: 0, fleet: 0 }
let timelineDirty = true
let renderQueued = false
let firstRender = true

function scheduleRender() {
  if (renderQueued) return
  renderQueued = true
  requestAnimationFrame(() => {
    renderQueued = false
    render()
  })
}

/**
 * The filter the controls describe, read once per render.
 * @returns {(name: string, state: string) => boolean}
 */
function currentFilter() {
  const query = ui.filterName.value.trim().toLowerCase()
  const wanted = ui.filterState.value
  return (name, state) =>
    (wanted === '' || state === wanted) && (query === '' || name.toLowerCase().includes(query))
}

/** Names of local circuits to show, filtered and ordered. */
function visibleNames() {
  const matches = currentFilter()
  const names = model.names.filter((name) => {
    const view = model.circuits.get(name)
    return view !== undefined && matches(name, view.state)
  })
  if (ui.sort.value === 'trouble') {
    names.sort((a, b) => {
      const va = /** @type {CircuitView} */ (model.circuits.get(a))
      const vb = /** @type {CircuitView} */ (model.circuits.get(b))
      return (
        (SEVERITY[va.state] ?? 5) - (SEVERITY[vb.state] ?? 5) ||
        vb.failureRate - va.failureRate ||
        (a < b ? -1 : a > b ? 1 : 0)
      )
    })
  }
  return names
}

function render() {
  setText(ui.instance, model.instance || '…')
  ui.readOnly.hidden = model.canAct
  for (const th of document.querySelectorAll('th.actions-col')) {
    if (th instanceof HTMLElement) th.hidden = !model.canAct
  }
  renderSummary()
  renderCircuits()
  renderFleet()
  if (timelineDirty) renderTimeline()
  if (firstRender) {
    firstRender = false
    performance.mark('tripswitch:rendered')
    document.documentElement.dataset.rendered = 'true'
  }
}

function renderSummary() {
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

function renderCircuits() {
  const names = visibleNames()
  const page = clampPage('circuits', names.length)
  const shown = names.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
  const now = performance.now()
  /** @type {Element[]} */
  const nodes = []
  for (const name of shown) {
    const view = /** @type {CircuitView} */ (model.circuits.get(name))
    let row = circuitRows.get(name)
    if (row === undefined) {
      row = new CircuitRow(name)
      circuitRows.set(name, row)
    }
    row.update(view, now)
    nodes.push(row.tr)
    const detail = details.get(name)
    if (detail !== undefined) {
      detail.update(view)
      nodes.push(detail.tr)
    }
  }
  reconcile(ui.circuitRows, nodes)
  ui.circuitsEmpty.hidden = names.length > 0 || model.at === 0
  renderPager(ui.circuitsPager, 'circuits', names.length)
  seedVisible(shown)
}

function renderFleet() {
  const fleet = model.fleet
  ui.fleet.hidden = fleet === null
  if (fleet === null) return
  const names = new Set(fleet.map((f) => f.name))
  for (const name of fleetRows.keys()) if (!names.has(name)) fleetRows.delete(name)
  const matches = currentFilter()
  const visible = fleet.filter((f) => matches(f.name, f.state))
  const page = clampPage('fleet', visible.length)
  const now = performance.now()
  const received = fleetReceived
  fleetReceived = false
  /** @type {Element[]} */
  const nodes = []
  for (const view of visible.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)) {
    let row = fleetRows.get(view.name)
    const fresh = row === undefined
    if (row === undefined) {
      row = new FleetRow(view.name)
      fleetRows.set(view.name, row)
    }
    row.update(view, now, received || fresh)
    nodes.push(row.tr)
  }
  reconcile(ui.fleetRows, nodes)
  ui.fleetEmpty.hidden = visible.length > 0
  renderPager(ui.fleetPager, 'fleet', visible.length)
}

/** True after a snapshot until the fleet rows took its countdowns. */
let fleetReceived = false

/**
 * @param {'circuits' | 'fleet'} which
 * @param {number} total rows after filtering
 */
function clampPage(which, total) {
  const last = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1)
  if (pages[which] > last) pages[which] = last
  return pages[which]
}

/**
 * @param {HTMLElement} nav
 * @param {'circuits' | 'fleet'} which
 * @param {number} total
 */
function renderPager(nav, which, total) {
  nav.hidden = total <= PAGE_SIZE
  if (nav.hidden) return
  if (nav.children.length === 0) {
    const previous = el('button', 'previous', 'Previous')
    previous.type = 'button'
    previous.dataset.page = '-1'
    const next = el('button', 'next', 'Next')
    next.type = 'button'
    next.dataset.page = '1'
    nav.append(previous, el('span', 'range'), next)
    nav.addEventListener('click', (event) => {
      const target = /** @type {HTMLElement} */ (event.target)
      const step = Number(target.closest('button')?.dataset.page ?? 0)
      if (step === 0) return
      pages[which] += step
      scheduleRender()
    })
  }
  const page = pages[which]
  const first = page * PAGE_SIZE + 1
  const last = Math.min(total, first + PAGE_SIZE - 1)
  const range = nav.querySelector('.range')
  if (range) setText(range, `${first}–${last} of ${total.toLocaleString('en')}`)
  const [previous, , next] = /** @type {HTMLButtonElement[]} */ ([...nav.children])
  if (previous) previous.disabled = page === 0
  if (next) next.disabled = last >= total
}

/**
 * @param {TransitionView} t
 * @param {boolean} withName
 */
function timelineItem(t, withName) {
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

function renderTimeline() {
  timelineDirty = false
  ui.timeline.replaceChildren(...model.timeline.map((t) => timelineItem(t, true)))
  ui.timelineEmpty.hidden = model.timeline.length > 0
}

/** Refreshes countdowns between snapshots. */
function tick() {
  const now = performance.now()
  for (const tr of ui.circuitRows.children) {
    const name = /** @type {HTMLElement} */ (tr).dataset.name
    if (name === undefined || !model.probeAt.has(name)) continue
    const row = circuitRows.get(name)
    const view = model.circuits.get(name)
    if (row && view) setText(row.probe, probeText(name, view.state, now))
  }
  if (model.fleet === null) return
  for (const tr of ui.fleetRows.children) {
    if (/** @type {HTMLElement} */ (tr).dataset.state !== 'open') continue
    const row = fleetRows.get(/** @type {HTMLElement} */ (tr).dataset.name ?? '')
    if (row === undefined) continue
    setText(row.probe, countdown(row.probeAt - now))
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the server

/**
 * @param {string} url
 * @returns {Promise<unknown>}
 */
async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`${response.status}`)
  return response.json()
}

/** @type {string[]} */
const seedQueue = []
let seeding = 0

/**
 * Fills the charts of newly visible rows from the server's 5 minutes of history, a few at a
 * time, so that a fresh page shows the recent past rather than an empty chart.
 * @param {readonly string[]} names
 */
function seedVisible(names) {
  for (const name of names) {
    if (seeded.has(name)) continue
    seeded.add(name)
    seedQueue.push(name)
  }
  while (seeding < SEED_CONCURRENCY && seedQueue.length > 0) {
    const name = /** @type {string} */ (seedQueue.shift())
    seeding++
    loadDetail(name)
      .catch(() => {})
      .finally(() => {
        seeding--
        seedVisible([])
      })
  }
}

/** @param {string} name */
async function loadDetail(name) {
  const url = circuitUrl(name)
  if (url === null) return
  const detail = /** @type {CircuitDetail} */ (await getJson(url))
  if (!model.circuits.has(name)) return
  if (Array.isArray(detail.history)) seedHistory(name, detail.history)
  if (Array.isArray(detail.transitions)) {
    addToTimeline(detail.transitions)
    details.get(name)?.setDetail(detail)
  }
  scheduleRender()
}

/** @param {string} name */
function toggleDetail(name) {
  if (details.has(name)) details.delete(name)
  else {
    details.set(name, new DetailRow(name))
    loadDetail(name).catch(() =>
      showMessage('error', `Could not load the history of ${quoted(name)}.`),
    )
  }
  scheduleRender()
}

/**
 * @param {'ok' | 'error'} kind
 * @param {string} text
 */
function showMessage(kind, text) {
  ui.message.hidden = false
  ui.message.dataset.kind = kind
  ui.message.textContent = text
}

/**
 * Asks the server to act on a circuit; a refusal is shown, never thrown.
 * @param {string} name
 * @param {Action} action
 * @param {HTMLButtonElement} button
 */
async function act(name, action, button) {
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

/** @param {string} name @param {string} state */
function applyActionResult(name, state) {
  const view = model.circuits.get(name)
  if (view !== undefined) model.circuits.set(name, { ...view, state: /** @type {State} */ (state) })
  const fleetView = model.fleet?.find((f) => f.name === name)
  if (fleetView !== undefined) fleetView.state = /** @type {State} */ (state)
  scheduleRender()
}

let source = /** @type {EventSource | null} */ (null)

function connect() {
  const events = new EventSource(`${base}api/events`)
  source = events
  events.addEventListener('open', () => setConnection('live', 'Live'))
  events.addEventListener('snapshot', (event) => {
    const state = parse(/** @type {MessageEvent<string>} */ (event).data)
    if (state === null) return
    fleetReceived = true
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
function parse(data) {
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

// ---------------------------------------------------------------------------------------------
// Wiring

function onFilterChange() {
  pages.circuits = 0
  pages.fleet = 0
  scheduleRender()
}

/** @param {MouseEvent} event */
function onTableClick(event) {
  const button = /** @type {HTMLElement} */ (event.target).closest('button')
  const row = button?.closest('tr')
  const name = row?.dataset.name
  if (!button || name === undefined) return
  if (button.dataset.expand !== undefined) toggleDetail(name)
  else if (button.dataset.action) act(name, /** @type {Action} */ (button.dataset.action), button)
}

function start() {
  ui.filterName.addEventListener('input', onFilterChange)
  ui.filterState.addEventListener('change', onFilterChange)
  ui.sort.addEventListener('change', onFilterChange)
  ui.summary.addEventListener('click', (event) => {
    const chip = /** @type {HTMLElement} */ (event.target).closest('button')
    if (!chip) return
    const state = chip.dataset.state ?? ''
    ui.filterState.value = ui.filterState.value === state ? '' : state
    onFilterChange()
  })
  ui.circuitRows.addEventListener('click', onTableClick)
  ui.fleetRows.addEventListener('click', onTableClick)
  setInterval(tick, TICK_MS)
  getJson(`${base}api/circuits`)
    .then((state) => {
      fleetReceived = true
      applyState(/** @type {DashboardState} */ (state))
    })
    .catch(() => showMessage('error', 'Could not load the circuits; waiting for the live stream.'))
    .finally(connect)
  window.addEventListener('pagehide', () => source?.close())
}

start()
