/** Settings of one run, read from the environment (see the README's table). */
export interface ScenarioConfig {
  /** Redis to share the breaker through; undefined: start a private redis-server. */
  readonly redisUrl: string | undefined
  /** Worker processes sharing the breaker. */
  readonly workers: number
  /** The breaker's recoveryTimeout: ms open before the single probe is allowed. */
  readonly recoveryMs: number
  /** Pause between two calls of one worker. */
  readonly callIntervalMs: number
  /** Delay of the first answer after the upstream (re)starts, so the probe is visibly alone. */
  readonly coldStartMs: number
  /** Also print the report as one JSON line at the end. */
  readonly json: boolean
}

/** A setting that cannot be used; main prints the message and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

type Env = Readonly<Record<string, string | undefined>>

// Bounds keep the scenario meaningful: at least two processes to share anything, and a recovery
// long enough for the upstream to be back before the probe (that is what makes the run
// deterministic: one probe, and it succeeds).
const INTEGER_SETTINGS = {
  WORKERS: { fallback: 4, min: 2, max: 16 },
  RECOVERY_MS: { fallback: 3_000, min: 200, max: 600_000 },
  CALL_INTERVAL_MS: { fallback: 150, min: 20, max: 5_000 },
  COLD_START_MS: { fallback: 300, min: 0, max: 60_000 },
} as const

function integerSetting(env: Env, name: keyof typeof INTEGER_SETTINGS): number {
  const { fallback, min, max } = INTEGER_SETTINGS[name]
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, but was "${raw}"`)
  return value
}

function redisUrlSetting(env: Env): string | undefined {
  const raw = env.REDIS_URL
  if (raw === undefined || raw.trim() === '') return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`REDIS_URL must be a URL like redis://127.0.0.1:6379, but was "${raw}"`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, but was "${raw}"`)
  return raw
}

/** Reads and validates the settings; throws {@link ConfigError} naming the bad one. */
export function readConfig(env: Env, args: readonly string[]): ScenarioConfig {
  const unknown = args.filter((arg) => arg !== '--json')
  if (unknown.length > 0)
    throw new ConfigError(`unknown argument "${unknown[0]}" (the only option is --json)`)
  return {
    redisUrl: redisUrlSetting(env),
    workers: integerSetting(env, 'WORKERS'),
    recoveryMs: integerSetting(env, 'RECOVERY_MS'),
    callIntervalMs: integerSetting(env, 'CALL_INTERVAL_MS'),
    coldStartMs: integerSetting(env, 'COLD_START_MS'),
    json: args.includes('--json'),
  }
}
