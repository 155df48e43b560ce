import type { SharedState } from '@tripswitch/core'
import type { FleetKeys } from './keys.ts'
import { withTimeout } from './link.ts'
import type { ClientSeam, ScriptName } from './seam.ts'

/** One instance holding a breaker of a circuit, in {@link FleetCircuit.instances}. */
export interface FleetInstance {
  /** The instance's `instanceId` (its store option; by default `host:pid:xxxx`). */
  readonly id: string
  /** Epoch ms (Redis time) of the instance's last heartbeat. */
  readonly lastSeen: number
}

/** One circuit Redis knows, as listed by `RedisStore.fleet()`. */
export interface FleetCircuit {
  /** The breaker's name, exactly as given to it (any string of up to 1,024 UTF-16 code units). */
  readonly name: string
  /** Its shared state now, read as `store.read(name)` reads it. */
  readonly state: SharedState
  /**
   * The instances holding a breaker of this name that heartbeat within `fleetTtlMs`, sorted by
   * id. Empty for a circuit no live instance holds (moved by an operator, or held by instances
   * that stopped) whose state is still in Redis.
   */
  readonly instances: readonly FleetInstance[]
}

/**
 * Longest name (in UTF-16 code units) the fleet records. A breaker with a longer name works as
 * ever but is not listed by `fleet()`: what one name can cost in Redis stays bounded.
 */
export const MAX_RECORDED_NAME = 1_024

/**
 * A name as recorded in Redis: its JSON string, which keeps every code unit (a lone surrogate is
 * written `\udXXX`, not turned into U+FFFD as UTF-8 would), so names come back exactly.
 * Undefined for a name too long to record.
 */
export function recordedName(name: string): string | undefined {
  return name.length <= MAX_RECORDED_NAME ? JSON.stringify(name) : undefined
}

/** The name a recorded member stands for; undefined for anything the store did not write. */
export function nameOfRecord(member: unknown): string | undefined {
  if (typeof member !== 'string' || !member.startsWith('"')) return undefined
  try {
    const name: unknown = JSON.parse(member)
    return typeof name === 'string' && recordedName(name) === member ? name : undefined
  } catch {
    return undefined
  }
}

/** What the fleet's scripts run on. */
export interface FleetLink {
  readonly client: ClientSeam
  readonly keys: FleetKeys
  readonly instanceId: string
  readonly fleetTtlMs: number
  readonly commandTimeout: number
  /** Lifetime of the fleet's zsets after their last write, in ms (the store's `stateTtl`). */
  readonly keyTtl: number
  /** The test-only time offset (always 0 unless the store was built with `testing`). */
  readonly offset: () => number
}

/** Runs one fleet script (keys: circuits, instances, the set of `instance`) within the timeout. */
export function fleetScript(
  link: FleetLink,
  name: ScriptName,
  instance: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  const { keys } = link
  const all = [keys.circuits, keys.instances, keys.names(instance), link.offset(), link.keyTtl]
  all.push(...args)
  return withTimeout(link.client.script({ name, args: all }), link.commandTimeout)
}

/** `items` in chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
