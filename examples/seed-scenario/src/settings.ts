/** Consecutive failures that open the circuit (the "3 failures open the circuit"). */
export const ERROR_THRESHOLD = 3

/** How long the circuit stays open before one probe is let through (the "6 s later"). */
export const RECOVERY_TIMEOUT_MS = 6_000

/** Calls made after the probe closed the circuit, to show it stays closed. */
export const CALLS_AFTER_CLOSE = 10

/**
 * Calls allowed for the circuit to open before the scenario gives up: a misconfigured breaker
 * must fail the run loudly, not loop forever against a dead upstream.
 */
export const MAX_CALLS_TO_OPEN = ERROR_THRESHOLD + 2
