// @ts-check
// The page's fixed figures and the words it shows for states and actions.

/** @typedef {import('./types.js').State} State */
/** @typedef {import('./types.js').Action} Action */

/** Rows per page: keeps the DOM small with thousands of circuits. */
export const PAGE_SIZE = 100
/** How far back the charts reach (the server keeps the same span of history). */
export const HISTORY_MS = 5 * 60_000
/**
 * Spacing of the chart samples kept from snapshots (ms), as the server's default history; the
 * newest sample is replaced by each snapshot until it is this far from the one before.
 */
export const SAMPLE_GAP_MS = 5_000
/** The shortest span a chart covers (ms). */
export const MIN_SPAN_MS = 60_000
/** Transitions kept in the page-wide timeline. */
export const TIMELINE_LENGTH = 50
/** Countdown refresh period (ms). */
export const TICK_MS = 250
/** Wait before reopening a stream the server closed (ms). */
export const RECONNECT_MS = 5_000
/** Detail requests in flight at once when seeding charts of visible rows. */
export const SEED_CONCURRENCY = 4
/** The page's title, before the count of open circuits. */
export const TITLE = 'Tripswitch circuits'
/** Longest name quoted in a message, in characters. */
export const MESSAGE_NAME_LENGTH = 80

/** @type {readonly State[]} */
export const STATES = ['closed', 'open', 'half_open', 'forced_open', 'disabled']
/** @type {Readonly<Record<string, string>>} */
export const STATE_LABELS = {
  closed: 'Closed',
  open: 'Open',
  half_open: 'Half-open',
  forced_open: 'Forced open',
  disabled: 'Disabled',
}
/** Lower is more urgent, for the "trouble first" order. @type {Readonly<Record<string, number>>} */
export const SEVERITY = { open: 0, forced_open: 1, half_open: 2, disabled: 3, closed: 4 }
/** @type {readonly { action: Action, label: string }[]} */
export const ACTIONS = [
  { action: 'open', label: 'Force open' },
  { action: 'disable', label: 'Disable' },
  { action: 'close', label: 'Close' },
  { action: 'reset', label: 'Reset' },
]
