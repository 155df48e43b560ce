import type { CircuitState, SharedState, StateStore, TransitionRequest } from '@tripswitch/core'
import { isInvalidOptionsError } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { CommandError, clip, reasonOf, UsageError } from '../errors.ts'
import { type Action, type ActionResult, byName, type CircuitRow } from '../model.ts'
import type { CircuitSource, WatchUpdate } from './source.ts'
import { pause } from './timer.ts'

/** One circuit as `RedisStore.fleet()` lists it (the fields the CLI reads). */
interface FleetCircuit {
  readonly name: string
  readonly state: SharedState
  readonly instances: readonly { readonly id: string; readonly lastSeen: number }[]
}

/** The store's fleet capability, used structurally. */
interface FleetSource {
  fleet(): Promise<readonly FleetCircuit[]>
}

/** What each action moves a circuit to: held open, held passing, or back to closed. */
const TARGET: Readonly<Record<Action, CircuitState>> = {
  open: 'forced_open',
  disable: 'disabled',
  close: 'closed',
  reset: 'closed',
}

/** How often `watch` reads the fleet, in ms. */
const WATCH_EVERY_MS = 1_000

/** Options of {@link openRedisSource}. */
export interface RedisSourceOptions {
  /** `redis://` or `rediss://` URL. */
  readonly url: string
  /** Key prefix of the store. @default the store's default, 'tripswitch:' */
  readonly prefix: string | undefined
  /** Milliseconds to wait for a connection and for each command. */
  readonly timeoutMs: number
  /** Drops the connection (Ctrl-C): whatever waits on Redis fails at once. */
  readonly signal: AbortSignal
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return clip(parsed.host === '' ? parsed.href : `${parsed.protocol}//${parsed.host}`)
}

/**
 * Connects to Redis and builds a store on it (no breaker: the store only reads the fleet and
 * writes states). The connection is tried once, not retried: an unreachable Redis fails at once.
 * @throws {UsageError} for a prefix the store refuses; {@link CommandError} when Redis is unreachable.
 */
export async function openRedisSource(options: RedisSourceOptions): Promise<CircuitSource> {
  const where = shown(options.url)
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.timeoutMs,
    // How long disconnect() waits for the socket to close before destroying it: its timer
    // outlives a socket that never connected and would hold the process for the default 2 s.
    disconnectTimeout: 100,
  })
  // An unheard 'error' event would crash; the last one says why a connection failed (the
  // rejected connect() only says "Connection is closed").
  let lastError: unknown
  client.on('error', (error: unknown) => {
    lastError = error
  })
  options.signal.addEventListener('abort', () => client.disconnect(), { once: true })
  let store: RedisStore
  try {
    store = new RedisStore({ client, prefix: options.prefix, commandTimeout: options.timeoutMs })
  } catch (error) {
    client.disconnect()
    if (isInvalidOptionsError(error)) throw new UsageError(`--prefix: ${error.message}`)
    throw error
  }
  try {
    await within(client.connect(), options.timeoutMs)
  } catch (error) {
    store.close()
    client.disconnect()
    throw new CommandError(
      `cannot reach Redis at ${where}: ${reasonOf(error instanceof Error && error.message.startsWith('no answer') ? error : (lastError ?? error))}`,
    )
  }
  const prefix = options.prefix ?? 'tripswitch:'
  return new RedisSource(store, client, `Redis at ${where}, prefix "${clip(prefix)}"`)
}

/** `promise`, or a rejection once `ms` have passed (connecting includes a handshake that may stall). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

class RedisSource implements CircuitSource {
  /** Why the store last went down (its `down` event), for the message of a failed write. */
  private downError: unknown = undefined

  constructor(
    private readonly store: RedisStore,
    private readonly client: Redis,
    readonly label: string,
  ) {
    store.on('down', ({ error }) => {
      this.downError = error
    })
  }

  async list(): Promise<CircuitRow[]> {
    const fleet = this.fleetOf(this.store)
    let circuits: readonly FleetCircuit[]
    try {
      circuits = await fleet.fleet()
    } catch (error) {
      throw new CommandError(`cannot read the fleet from ${this.label}: ${reasonOf(error)}`)
    }
    const at = Date.now()
    return circuits.map((circuit) => rowOf(circuit, at)).sort(byName)
  }

  async *watch(signal: AbortSignal): AsyncIterable<WatchUpdate> {
    while (!signal.aborted) {
      let rows: CircuitRow[]
      try {
        rows = await this.list()
      } catch (error) {
        // Interrupted while reading: the connection was dropped on purpose.
        if (signal.aborted) return
        throw error
      }
      if (signal.aborted) return
      yield { kind: 'snapshot', rows, at: Date.now() }
      if (!(await pause(WATCH_EVERY_MS, signal))) return
    }
  }

  async act(name: string, action: Action, force: boolean): Promise<ActionResult> {
    if (!force) {
      const known = (await this.list()).some((row) => row.name === name)
      if (!known)
        throw new CommandError(
          `no circuit "${clip(name)}" in ${this.label} (check the name and prefix, or pass --force to write it anyway)`,
        )
    }
    const request: TransitionRequest = {
      fromGeneration: null,
      to: TARGET[action],
      openForMs: 0,
      openings: 0,
    }
    const state = await (this.store as StateStore).transition(name, request)
    // The store never rejects: when Redis fails it answers from its local fallback, which
    // changes nothing anywhere else. Unavailable after the call means the write did not land.
    if (this.store.unavailable)
      throw new CommandError(
        `Redis did not take the change (${this.label} is unreachable or failing)${
          this.downError === undefined ? '' : `: ${reasonOf(this.downError)}`
        }`,
      )
    return { name, action, state: state.state }
  }

  async close(): Promise<void> {
    this.store.close()
    this.client.disconnect()
  }

  private fleetOf(store: RedisStore & Partial<FleetSource>): FleetSource {
    if (typeof store.fleet !== 'function')
      throw new CommandError('this @tripswitch/redis has no fleet(): update it to list circuits')
    return store as FleetSource
  }
}

function rowOf(circuit: FleetCircuit, at: number): CircuitRow {
  const { state } = circuit
  return {
    name: circuit.name,
    state: state.state,
    generation: state.generation,
    retryAfterMs: state.retryAfterMs,
    openings: state.openings,
    failureRate: null,
    slowCallRate: null,
    callsPerSecond: null,
    instances: circuit.instances.map(({ id, lastSeen }) => ({ id, lastSeen })),
    at,
  }
}
