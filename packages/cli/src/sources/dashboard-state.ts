import { CommandError } from '../errors.ts'
import { byName, type CircuitRow, type InstanceRow } from '../model.ts'

// The admin API's answers are read defensively: a field of the wrong type is `null` (unknown),
// a circuit without a string name or state is dropped, and an answer that is not a dashboard
// state at all is an error. Nothing from it is trusted for display (the table escapes names).

type Json = Readonly<Record<string, unknown>>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const numberOr = <T>(value: unknown, fallback: T): number | T =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback

function instancesOf(value: unknown): InstanceRow[] | null {
  if (!Array.isArray(value)) return null
  return value
    .filter(isObject)
    .filter((item) => typeof item.id === 'string')
    .map((item) => ({ id: item.id as string, lastSeen: numberOr(item.lastSeen, 0) }))
}

function rowOf(view: Json, at: number, fleet: Json | undefined): CircuitRow {
  return {
    name: view.name as string,
    state: view.state as string,
    generation: numberOr(view.generation, null),
    retryAfterMs: Math.max(0, numberOr(view.retryAfterMs, 0)),
    openings: numberOr(view.openings ?? fleet?.openings, null),
    failureRate: numberOr(view.failureRate, null),
    slowCallRate: numberOr(view.slowCallRate, null),
    callsPerSecond: numberOr(view.callsPerSecond, null),
    instances: fleet === undefined ? null : instancesOf(fleet.instances),
    at,
  }
}

const named = (item: unknown): item is Json =>
  isObject(item) && typeof item.name === 'string' && typeof item.state === 'string'

/**
 * The rows of a `GET api/circuits` answer: this instance's circuits with their rates, joined
 * with the fleet (instances per circuit) when the instance has a shared store, plus the circuits
 * only the fleet knows. Sorted by name.
 * @throws {CommandError} when `body` is not a dashboard state.
 */
export function rowsOfState(body: unknown, where: string): CircuitRow[] {
  if (!isObject(body) || !Array.isArray(body.circuits))
    throw new CommandError(`${where} answered JSON that is not a list of circuits`)
  const at = numberOr(body.at, Date.now())
  const fleet = new Map<string, Json>()
  if (Array.isArray(body.fleet))
    for (const item of body.fleet.filter(named)) fleet.set(item.name as string, item)
  const rows = new Map<string, CircuitRow>()
  for (const view of body.circuits.filter(named)) {
    const name = view.name as string
    rows.set(
      name,
      rowOf(view, at, Array.isArray(body.fleet) ? (fleet.get(name) ?? emptyFleet) : undefined),
    )
  }
  for (const [name, item] of fleet) if (!rows.has(name)) rows.set(name, rowOf(item, at, item))
  return [...rows.values()].sort(byName)
}

const emptyFleet: Json = { instances: [] }

/** The `{ name, from, to, at }` of a `transition` event, or `null` when it is not one. */
export function transitionOf(
  body: unknown,
): { name: string; from: string; to: string; at: number } | null {
  if (!isObject(body)) return null
  const { name, from, to } = body
  if (typeof name !== 'string' || typeof from !== 'string' || typeof to !== 'string') return null
  return { name, from, to, at: numberOr(body.at, Date.now()) }
}

/** The `error.code` of an error answer (`{ error: { code } }`), when it is a short word. */
export function errorCodeOf(body: unknown): string | undefined {
  const error = isObject(body) ? body.error : undefined
  const code = isObject(error) ? error.code : undefined
  return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined
}
