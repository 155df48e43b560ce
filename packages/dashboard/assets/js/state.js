// @ts-check
// What the page knows: the server's last word (model) and the rows made to show it.

/** @typedef {import('./types.js').CircuitView} CircuitView */
/** @typedef {import('./types.js').FleetCircuitView} FleetCircuitView */
/** @typedef {import('./types.js').Sample} Sample */
/** @typedef {import('./types.js').TransitionView} TransitionView */

export const model = {
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

/** @type {Map<string, import('./circuit-row.js').CircuitRow>} */
export const circuitRows = new Map()
/** @type {Map<string, import('./fleet-row.js').FleetRow>} */
export const fleetRows = new Map()
/** Expanded circuits. @type {Map<string, import('./detail-row.js').DetailRow>} */
export const details = new Map()
/** Circuits whose chart was seeded from the server's history (or is being). @type {Set<string>} */
export const seeded = new Set()
/** The page shown of each table, from 0. */
export const pages = { circuits: 0, fleet: 0 }

export const flags = {
  /** The timeline changed since it was last drawn. */
  timelineDirty: true,
  /** True after a snapshot until the fleet rows took its countdowns. */
  fleetReceived: false,
}
