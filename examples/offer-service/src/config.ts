/** What main.ts needs from the environment, checked before anything starts. */
export interface OfferServiceConfig {
  /** Port of the offer service (0 = any free port). */
  readonly port: number
  /** Port of the partner service (0 = any free port). */
  readonly partnerPort: number
  /** Start the partner answering 500, so the circuit can be tripped without the switch. */
  readonly partnerFailing: boolean
}

/** A bad environment value; the message names the variable, the rule and the value. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    rule: string,
    value: string,
  ) {
    super(`Invalid ${variable}: expected ${rule}, got ${JSON.stringify(value)}`)
    this.name = 'ConfigError'
  }
}

export const DEFAULT_PORT = 3000
export const DEFAULT_PARTNER_PORT = 3001

/**
 * Reads PORT, PARTNER_PORT and PARTNER_FAILING. An unset or empty variable means the default;
 * anything else must be valid, so a typo fails at start instead of behaving like a default.
 * @throws {ConfigError} naming the first bad variable.
 */
export function readConfig(env: NodeJS.ProcessEnv): OfferServiceConfig {
  return {
    port: readPort(env, 'PORT', DEFAULT_PORT),
    partnerPort: readPort(env, 'PARTNER_PORT', DEFAULT_PARTNER_PORT),
    partnerFailing: readFlag(env, 'PARTNER_FAILING', false),
  }
}

function readPort(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable]
  if (raw === undefined || raw === '') return fallback
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN
  if (!(port <= 65_535)) throw new ConfigError(variable, 'an integer from 0 to 65535', raw)
  return port
}

function readFlag(env: NodeJS.ProcessEnv, variable: string, fallback: boolean): boolean {
  const raw = env[variable]
  if (raw === undefined || raw === '') return fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new ConfigError(variable, 'true, false, 1 or 0', raw)
}
