// What the fleet measurement reads from Redis: INFO cpu, commandstats and memory.
import type { Redis } from 'ioredis'

/** One reading of Redis's counters. */
export interface Counters {
  /** Wall-clock ms of the reading. */
  readonly at: number
  /** used_cpu_sys + used_cpu_user, in seconds. */
  readonly cpuSeconds: number
  /** Calls per command (commandstats; commands run by scripts are counted too). */
  readonly calls: Readonly<Record<string, number>>
  /** µs per command (commandstats). */
  readonly usec: Readonly<Record<string, number>>
}

/** One reading of Redis's memory, in bytes. */
export interface Memory {
  readonly used: number
  /** used_memory_dataset: used_memory minus the server's own overhead (clients, buffers). */
  readonly dataset: number
  readonly clients: number
  /** used_memory_scripts: the script cache (the same dozen scripts whatever the fleet). */
  readonly scripts: number
  readonly keys: number
}

function field(text: string, name: string): number {
  return Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0)
}

export async function counters(admin: Redis): Promise<Counters> {
  const cpu = await admin.info('cpu')
  const stats = await admin.info('commandstats')
  const calls: Record<string, number> = {}
  const usec: Record<string, number> = {}
  for (const m of stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
    calls[m[1]!] = Number(m[2])
    usec[m[1]!] = Number(m[3])
  }
  return {
    at: performance.timeOrigin + performance.now(),
    cpuSeconds: field(cpu, 'used_cpu_sys') + field(cpu, 'used_cpu_user'),
    calls,
    usec,
  }
}

export async function memory(admin: Redis): Promise<Memory> {
  const text = await admin.info('memory')
  return {
    used: field(text, 'used_memory'),
    dataset: field(text, 'used_memory_dataset'),
    clients: field(text, 'mem_clients_normal'),
    scripts: field(text, 'used_memory_scripts'),
    keys: await admin.dbsize(),
  }
}

/** What happened between two readings: per-second rates and Redis CPU as a share of one core. */
export interface Rates {
  readonly seconds: number
  /** Redis CPU over wall time (1 = one core busy). */
  readonly cpu: number
  /** Calls per second, by command. */
  readonly perSecond: Readonly<Record<string, number>>
  /** Mean µs per call inside Redis, by command. */
  readonly usecPerCall: Readonly<Record<string, number>>
}

export function rates(a: Counters, b: Counters): Rates {
  const seconds = (b.at - a.at) / 1_000
  const perSecond: Record<string, number> = {}
  const usecPerCall: Record<string, number> = {}
  for (const [name, total] of Object.entries(b.calls)) {
    const calls = total - (a.calls[name] ?? 0)
    if (calls <= 0) continue
    perSecond[name] = calls / seconds
    usecPerCall[name] = ((b.usec[name] ?? 0) - (a.usec[name] ?? 0)) / calls
  }
  return { seconds, cpu: (b.cpuSeconds - a.cpuSeconds) / seconds, perSecond, usecPerCall }
}

/** Keys and bytes (`MEMORY USAGE`, every element counted) per kind of key. */
export type KeyMemory = Readonly<Record<string, { readonly keys: number; readonly bytes: number }>>

/** The kind of a store key: its suffix (`s` state, `w` window, fleet `c`, `i`, `n`...). */
function kindOf(key: string): string {
  // The mark a recovering poll writes (one per instance, short-lived).
  if (key.includes(':probe:')) return 'probe'
  if (key.includes('{~fleet}:n:')) return 'fleet:n'
  if (key.includes('{~fleet}:')) return `fleet:${key.slice(-1)}`
  return key.slice(key.lastIndexOf(':') + 1)
}

/** Every key under `prefix`, by kind, with its exact size. */
export async function keyMemory(admin: Redis, prefix: string): Promise<KeyMemory> {
  const out: Record<string, { keys: number; bytes: number }> = {}
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000)
    cursor = next
    const pipeline = admin.pipeline()
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
    const sizes = (await pipeline.exec()) ?? []
    keys.forEach((key, i) => {
      const kind = kindOf(key)
      const entry = out[kind] ?? { keys: 0, bytes: 0 }
      entry.keys++
      entry.bytes += Number(sizes[i]?.[1]) || 0
      out[kind] = entry
    })
  } while (cursor !== '0')
  return out
}
