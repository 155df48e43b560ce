import type { IncomingMessage } from 'node:http'
import type { CircuitBreakerRegistry, SharedState, StateStore } from '@tripswitch/core'

/** The actions the API offers on a circuit. */
export type DashboardAction = 'open' | 'disable' | 'close' | 'reset'

/** What `authorize` is asked about: which action, on which circuit. */
export interface ActionRequest {
  /** The action asked for. */
  readonly action: DashboardAction
  /** Name of the circuit (decoded from the URL; untrusted). */
  readonly name: string
}

/**
 * The answer of `authorize`: `true` allows, `false` refuses, an object allows and names the
 * actor for the action log. Anything else refuses.
 */
export type AuthorizeResult = boolean | { readonly who: string }

/**
 * Decides whether the request may perform an action. Throwing or rejecting refuses (403); the
 * error is not shown to the client.
 */
export type Authorize = (
  req: IncomingMessage,
  action: ActionRequest,
) => AuthorizeResult | Promise<AuthorizeResult>

/** One line of the action log: an attempted action, allowed or refused. */
export interface ActionLogEntry {
  /** When it was attempted, epoch ms. */
  readonly at: number
  /** The actor `authorize` named, null when it named none (or refused). */
  readonly who: string | null
  /** The action asked for. */
  readonly action: DashboardAction
  /** Name of the circuit. */
  readonly name: string
  /** Whether it was performed. */
  readonly allowed: boolean
  /** The `reason` the client gave in the body, when it gave one (at most 200 characters). */
  readonly reason?: string
}

/** An instance holding a breaker for a circuit, as a fleet-capable store reports it. */
export interface FleetInstance {
  /** The instance's id (`instanceId` of its store). */
  readonly id: string
  /** Its last heartbeat, epoch ms. */
  readonly lastSeen: number
}

/** A circuit as a fleet-capable store knows it: shared state and the instances using it. */
export interface FleetCircuit {
  /** Name of the circuit. */
  readonly name: string
  /** Its shared state. */
  readonly state: SharedState
  /** The instances holding a breaker for it. */
  readonly instances: readonly FleetInstance[]
}

/**
 * A store that can list every circuit it holds across instances (a `RedisStore` does). The
 * dashboard recognises it by shape: a `fleet()` method and an `instanceId` string.
 */
export interface FleetSource {
  /** Id of this instance, shown as the dashboard's `instance`. */
  readonly instanceId: string
  /** Every circuit the store holds, with the instances that report it. */
  fleet(): Promise<readonly FleetCircuit[]>
}

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The registry whose circuits are shown and acted on. Required. */
  registry: CircuitBreakerRegistry
  /**
   * The registry's shared store. When it has `fleet()` and `instanceId` (a `RedisStore`), the
   * page and API show the fleet: every circuit the store knows, and which instances use it; and
   * actions reach circuits this instance never created. @default none (this instance only)
   */
  store?: StateStore | FleetSource | (StateStore & FleetSource)
  /**
   * Allows actions (force open, disable, close, reset). Without it the page and API are
   * read-only and every action answers 403. @default none (read-only)
   */
  authorize?: Authorize
  /**
   * The path the dashboard is mounted at, for servers that do not strip it (plain `node:http`,
   * Fastify routes): `'/circuits'`. Express's `app.use('/circuits', ...)` strips it itself and
   * needs none. @default none (the handler serves the path it is given)
   */
  basePath?: string
  /** Milliseconds between the snapshots the event stream sends. @default 1_000 */
  intervalMs?: number
  /** Milliseconds between history samples (5 minutes of them are kept). @default 5_000 */
  sampleMs?: number
  /** Most event-stream clients at once; past it a client gets 503. @default 32 */
  maxClients?: number
  /** Receives every attempted action. @default one JSON line through `console.warn` */
  log?: (entry: ActionLogEntry) => void
}

/** The options with defaults applied, as the dashboard uses them. */
export interface ResolvedDashboardOptions {
  readonly registry: CircuitBreakerRegistry
  readonly store: StateStore | undefined
  readonly fleet: FleetSource | undefined
  readonly authorize: Authorize | undefined
  /** Without a trailing slash; `''` when none. */
  readonly basePath: string
  readonly intervalMs: number
  readonly sampleMs: number
  readonly maxClients: number
  readonly log: (entry: ActionLogEntry) => void
}
