import { type CircuitBreakerOptions, isInvalidOptionsError } from '@tripswitch/core'
import { resolveOptions } from '@tripswitch/core/adapter'
import { LOG_LEVELS, type LogLevel } from './log.ts'

/** The monitor's settings, read from the environment by {@link readConfig}. */
export interface MonitorConfig {
  /** `host:port` to probe; undefined = start a flaky upstream on 127.0.0.1 and probe that. */
  readonly target: string | undefined
  /** Milliseconds from the end of one probe to the start of the next (TIME_WINDOW). */
  readonly intervalMs: number
  /** Consecutive failed probes that open the circuit (ERROR_THRESHOLD). */
  readonly errorThreshold: number
  /** Milliseconds the circuit stays open before a trial probe: {@link OPEN_WINDOWS} windows. */
  readonly recoveryTimeoutMs: number
  /** Milliseconds a probe may take before it fails: one window, at least {@link MIN_PROBE_TIMEOUT_MS}. */
  readonly probeTimeoutMs: number
  /** Whether a 4xx answer (but 408 and 429) counts as a success (ACCEPT_CLIENT_ERRORS). */
  readonly acceptClientErrors: boolean
  /** Lowest level printed (LOG_LEVEL). */
  readonly logLevel: LogLevel
}

/** Windows an open circuit waits before its trial probe: the probe in between is refused. */
export const OPEN_WINDOWS = 2

/** A probe gets one window to answer, but never less than this (a short window is for tests). */
export const MIN_PROBE_TIMEOUT_MS = 1_000

const DEFAULT_TIME_WINDOW_SECONDS = 2
const DEFAULT_ERROR_THRESHOLD = 3

/** The environment is invalid; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

// The value of one variable, or the sentence saying why it is not acceptable.
type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string }

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/

/**
 * Reads the monitor's settings from `env`. An unset or empty variable takes its default. Breaker
 * settings go through core's own validator, so they are judged by the rules every breaker
 * option is. Throws {@link ConfigError} listing every bad variable.
 */
export function readConfig(env: Readonly<Record<string, string | undefined>>): MonitorConfig {
  const target = parseTarget(read(env, 'HTTP_CLIENT'))
  const intervalMs = parseTimeWindow(read(env, 'TIME_WINDOW'))
  const errorThreshold = parseErrorThreshold(read(env, 'ERROR_THRESHOLD'))
  const acceptClientErrors = parseBoolean('ACCEPT_CLIENT_ERRORS', read(env, 'ACCEPT_CLIENT_ERRORS'))
  const logLevel = parseLogLevel(read(env, 'LOG_LEVEL'))
  // Every variable is read before failing, so that one start reports all the bad ones.
  const all = [target, intervalMs, errorThreshold, acceptClientErrors, logLevel]
  const problems = all.flatMap((parsed) => (parsed.ok ? [] : [parsed.problem]))
  if (!target.ok || !intervalMs.ok || !errorThreshold.ok || !acceptClientErrors.ok || !logLevel.ok)
    throw new ConfigError(problems)
  return {
    target: target.value,
    intervalMs: intervalMs.value,
    errorThreshold: errorThreshold.value,
    recoveryTimeoutMs: OPEN_WINDOWS * intervalMs.value,
    probeTimeoutMs: Math.max(intervalMs.value, MIN_PROBE_TIMEOUT_MS),
    acceptClientErrors: acceptClientErrors.value,
    logLevel: logLevel.value,
  }
}

function read(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function parseTarget(raw: string | undefined): Parsed<string | undefined> {
  if (raw === undefined) return { ok: true, value: undefined }
  const match = HOST_PORT.exec(raw)
  const port = Number(match?.[3])
  if (match === null || port < 1 || port > 65_535)
    return invalid(
      'HTTP_CLIENT',
      'host:port with a port from 1 to 65535 (e.g. 127.0.0.1:8080)',
      raw,
    )
  // The target names the breaker: core decides what a breaker name may be.
  return throughCore('HTTP_CLIENT', raw, { name: raw }, raw)
}

function parseTimeWindow(raw: string | undefined): Parsed<number> {
  if (raw === undefined) return { ok: true, value: DEFAULT_TIME_WINDOW_SECONDS * 1_000 }
  const seconds = DECIMAL.test(raw) ? Number(raw) : Number.NaN
  if (!(seconds >= 0.001))
    return invalid('TIME_WINDOW', 'a number of seconds, at least 0.001 (e.g. 5 or 0.5)', raw)
  const intervalMs = Math.round(seconds * 1_000)
  return throughCore(
    'TIME_WINDOW',
    raw,
    { recoveryTimeout: OPEN_WINDOWS * intervalMs },
    intervalMs,
    ` (the circuit stays open ${OPEN_WINDOWS} windows)`,
  )
}

function parseErrorThreshold(raw: string | undefined): Parsed<number> {
  if (raw === undefined) return { ok: true, value: DEFAULT_ERROR_THRESHOLD }
  if (!DECIMAL.test(raw)) return invalid('ERROR_THRESHOLD', 'a number of failures (e.g. 3)', raw)
  const errorThreshold = Number(raw)
  return throughCore('ERROR_THRESHOLD', raw, { errorThreshold }, errorThreshold)
}

function parseBoolean(name: string, raw: string | undefined): Parsed<boolean> {
  if (raw === undefined) return { ok: true, value: false }
  const lower = raw.toLowerCase()
  if (lower === 'true' || lower === 'false') return { ok: true, value: lower === 'true' }
  return invalid(name, 'True or False (any case)', raw)
}

function parseLogLevel(raw: string | undefined): Parsed<LogLevel> {
  if (raw === undefined) return { ok: true, value: 'INFO' }
  const level = LOG_LEVELS.find((known) => known === raw.toUpperCase())
  if (level !== undefined) return { ok: true, value: level }
  return invalid('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')} (any case)`, raw)
}

function invalid(name: string, rule: string, raw: string): { ok: false; problem: string } {
  return { ok: false, problem: `${name} must be ${rule}, but was ${JSON.stringify(raw)}` }
}

/** `value` when core accepts `options`, else core's own message naming the variable it came from. */
function throughCore<T>(
  name: string,
  raw: string,
  options: CircuitBreakerOptions,
  value: T,
  note = '',
): Parsed<T> {
  try {
    resolveOptions(options)
    return { ok: true, value }
  } catch (error) {
    if (!isInvalidOptionsError(error)) throw error
    const problem = `${name}=${raw} is rejected by @tripswitch/core${note}: ${error.message}`
    return { ok: false, problem }
  }
}
