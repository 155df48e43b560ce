import type { SharedState } from '@tripswitch/core'
import {
  chunks,
  type FleetCircuit,
  type FleetInstance,
  type FleetLink,
  fleetScript,
  nameOfRecord,
} from './fleet.ts'
import { MalformedReplyError } from './replies.ts'

/** Items per page asked of Redis (SSCAN/ZSCAN `COUNT`, instances per `LIMIT`), and per read batch. */
const PAGE = 500
/** Names read per pipeline: each batch answers well within a client's per-command timeout. */
const READS = 200
/** Instances whose names are read at the same time. */
const PARALLEL = 16

/** Reads the shared state of each name as `store.read` does; undefined where one name's key is unreadable. */
export type ReadStates = (names: readonly string[]) => Promise<(SharedState | undefined)[]>

interface Seen {
  /** Redis time of the listing. */
  readonly now: number
  /** Recorded name -> when last registered (circuits zset). */
  readonly registered: Map<string, number>
  /** Recorded name -> live instances holding it. */
  readonly holders: Map<string, FleetInstance[]>
}

/**
 * Every circuit recorded under the prefix with its state and live holders, sorted by name. Each
 * Redis call does a page of work (cursors, never `KEYS` or a whole collection), so a fleet of
 * 10,000 circuits never blocks Redis. Circuits nobody holds and whose state Redis no longer has
 * (never moved, or expired by `stateTtl`) are not listed, and forgotten once older than the TTL.
 */
export async function listFleet(link: FleetLink, read: ReadStates): Promise<FleetCircuit[]> {
  const seen = await collect(link)
  const members = new Set([...seen.registered.keys(), ...seen.holders.keys()])
  const named = [...members].flatMap((member) => {
    const name = nameOfRecord(member)
    return name === undefined ? [] : [{ member, name }]
  })
  const out: FleetCircuit[] = []
  const forgotten: string[] = []
  const cutoff = seen.now - link.fleetTtlMs
  for (const part of chunks(named, READS)) {
    const states = await read(part.map((n) => n.name))
    part.forEach(({ member, name }, i) => {
      const state = states[i]
      const instances = seen.holders.get(member) ?? []
      if (state === undefined) return
      if (instances.length > 0 || state.generation > 0) {
        instances.sort((a, b) => compare(a.id, b.id))
        out.push({ name, state, instances })
      } else if ((seen.registered.get(member) ?? cutoff) < cutoff) forgotten.push(member)
    })
  }
  await prune(link, cutoff, forgotten)
  return out.sort((a, b) => compare(a.name, b.name))
}

/** The live instances with the names each holds, and the recorded circuits. */
async function collect(link: FleetLink): Promise<Seen> {
  const { now, instances } = await liveInstances(link)
  const holders = new Map<string, FleetInstance[]>()
  for (const part of chunks(instances, PARALLEL)) {
    const names = await Promise.all(part.map((instance) => namesOf(link, instance.id)))
    part.forEach((instance, i) => {
      for (const member of names[i]!) {
        const list = holders.get(member)
        if (list === undefined) holders.set(member, [instance])
        else list.push(instance)
      }
    })
  }
  return { now, registered: await circuits(link), holders }
}

async function liveInstances(
  link: FleetLink,
): Promise<{ now: number; instances: FleetInstance[] }> {
  const instances: FleetInstance[] = []
  let now = 0
  for (let offset = 0; ; offset += PAGE) {
    const reply = array(
      await fleetScript(link, 'tripswitchFleetInstances', '', [link.fleetTtlMs, offset, PAGE]),
    )
    now = int(reply[0])
    for (let i = 1; i + 1 < reply.length; i += 2)
      instances.push({ id: String(reply[i]), lastSeen: int(reply[i + 1]) })
    if (reply.length - 1 < PAGE * 2) return { now, instances }
  }
}

/** The recorded names instance `id` holds (SSCAN may repeat a member: a set removes repeats). */
async function namesOf(link: FleetLink, id: string): Promise<Set<string>> {
  const names = new Set<string>()
  let cursor = '0'
  do {
    const reply = array(await fleetScript(link, 'tripswitchFleetMembers', id, [cursor, PAGE]))
    cursor = String(reply[0])
    for (const member of reply.slice(1)) names.add(String(member))
  } while (cursor !== '0')
  return names
}

async function circuits(link: FleetLink): Promise<Map<string, number>> {
  const registered = new Map<string, number>()
  let cursor = '0'
  do {
    const reply = array(await fleetScript(link, 'tripswitchFleetCircuits', '', [cursor, PAGE]))
    cursor = String(reply[0])
    for (let i = 1; i + 1 < reply.length; i += 2)
      registered.set(String(reply[i]), Number(reply[i + 1]))
  } while (cursor !== '0')
  return registered
}

async function prune(link: FleetLink, cutoff: number, members: readonly string[]): Promise<void> {
  for (const part of chunks(members, PAGE))
    await fleetScript(link, 'tripswitchFleetPrune', '', [cutoff, ...part])
}

function array(reply: unknown): readonly unknown[] {
  if (!Array.isArray(reply)) throw new MalformedReplyError('fleet reply is not an array')
  return reply
}

function int(value: unknown): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new MalformedReplyError('fleet time')
  return n
}

/** Code-unit order, the same on every host (no locale). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
