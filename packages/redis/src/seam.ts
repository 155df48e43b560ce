/** The name of one of the store's scripts (see scripts.ts). */
export type ScriptName =
  | 'tripswitchRead'
  | 'tripswitchTransition'
  | 'tripswitchAcquire'
  | 'tripswitchRelease'
  | 'tripswitchRecord'
  | 'tripswitchFleetJoin'
  | 'tripswitchFleetBeat'
  | 'tripswitchFleetLeave'
  | 'tripswitchFleetInstances'
  | 'tripswitchFleetMembers'
  | 'tripswitchFleetCircuits'
  | 'tripswitchFleetPrune'

/** One script call: its keys first (a breaker's four, or the fleet's three), then its arguments. */
export interface ScriptCall {
  readonly name: ScriptName
  readonly args: readonly (string | number)[]
}

/** The outcome of one call of a batch: an error, or the reply. */
export type Settled = readonly [error: Error | null, reply: unknown]

/** The handlers of the store's pub/sub connection. */
export interface SubscriberHandlers {
  readonly onMessage: (message: string) => void
  /** The connection (re)subscribed: messages published meanwhile are lost. */
  readonly onReady: () => void
  readonly onError: (error: unknown) => void
}

/**
 * What the store needs from a Redis client, whatever the library (ioredis, node-redis) and the
 * topology (one Redis, Sentinel, Cluster). Everything library-specific lives behind it, so the
 * store's logic is written, and tested, once.
 */
export interface ClientSeam {
  /** A word for messages: `ready`, `reconnecting`, `closed`... */
  status(): string
  /** True when commands can be sent now (the store never queues behind a dead connection). */
  ready(): boolean
  /** Runs a script by its SHA, sending its source once when Redis answers NOSCRIPT. */
  script(call: ScriptCall): Promise<unknown>
  /**
   * Runs several script calls, each breaker's keys possibly on another node: as one pipeline
   * where the topology allows it, otherwise as concurrent calls. One result per call, in order.
   */
  scripts(calls: readonly ScriptCall[]): Promise<Settled[]>
  /** A cheap round trip (`key` routes it on a cluster). */
  ping(key: string): Promise<unknown>
  /** A small write that expires after `ms`: a Redis refusing writes (OOM) is not up. */
  mark(key: string, ms: number): Promise<unknown>
  /** Deletes keys that share one hash slot. */
  del(keys: readonly string[]): Promise<unknown>
  /** Listens to the client's ready and error events; returns the function that stops. */
  watch(onReady: () => void, onError: (error: unknown) => void): () => void
  /**
   * Called by the poll when Redis failed it: a cluster client that does not follow a failover
   * by itself is told to read the topology again. Does nothing where the client follows alone.
   */
  heal(): void
  /** Opens the store's own pub/sub connection on `channel`; returns the function that closes it. */
  subscribe(channel: string, handlers: SubscriberHandlers): () => void
}
