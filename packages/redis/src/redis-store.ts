import type {
  OutcomeBatch,
  OutcomeFeed,
  OutcomeTracking,
  ProbeGrant,
  ProbeRelease,
  ProbeReleaseResult,
  ProbeRequest,
  RecordResult,
  SharedState,
  StateStore,
  TransitionRequest,
  Unsubscribe,
  WindowSpec,
} from '@tripswitch/core'
import { InvalidOptionsError } from '@tripswitch/core'
import { type Command, Commands, type Known } from './commands.ts'
import { type RedisStoreEvents, StoreEmitter } from './events.ts'
import { Fallback } from './fallback.ts'
import type { FleetCircuit, FleetLink } from './fleet.ts'
import { listFleet } from './fleet-listing.ts'
import { FleetMembership } from './fleet-membership.ts'
import { breakerId, fleetKeysOf, keysOf } from './keys.ts'
import { StoreUnavailableError, scriptsOn, seamFor, withTimeout } from './link.ts'
import {
  type RedisStoreOptions,
  type ResolvedStoreOptions,
  resolveStoreOptions,
} from './options.ts'
import { MalformedReplyError, parseMessage, stateAt } from './replies.ts'
import type { ClientSeam } from './seam.ts'
import { Subscriptions } from './subscriptions.ts'
import { Syncer } from './syncer.ts'

type Answer = SharedState | { readonly state: SharedState }

const stateOf = (answer: Answer): SharedState =>
  'generation' in answer ? answer : (answer as { state: SharedState }).state

/**
 * A {@link StateStore} in Redis: one circuit breaker shared by every process of a service.
 * Each operation is one Lua script (atomic, fenced by the generation, reading Redis `TIME`);
 * transitions are published and pushed to every instance, with a jittered poll for lost
 * messages. Outcomes reach Redis only as batches flushed every `syncInterval`, so a closed
 * breaker makes no Redis call per request. When Redis is slow or unreachable, every operation
 * answers from the `onStoreUnavailable` fallback within `commandTimeout`: a protected call never
 * fails or hangs because of Redis. Every script carries what this instance knows of the
 * breaker, so a Redis that lost its keys is brought back to it rather than resetting breakers.
 */
export class RedisStore implements StateStore {
  private readonly options: ResolvedStoreOptions
  /** The client, whichever library and topology, behind one interface. */
  private readonly client: ClientSeam
  private readonly unwatch: () => void
  private readonly commands: Commands
  private readonly channel: string
  /** What this instance knows of each breaker; answers while Redis is away. */
  private readonly fallback: Fallback
  private readonly subscriptions: Subscriptions
  private readonly syncer: Syncer
  private readonly fleetLink: FleetLink
  /** This instance's entry in the fleet listing (names held, heartbeat). */
  private readonly membership: FleetMembership
  private readonly emitter = new StoreEmitter()
  /** Closes the pub/sub connection, once opened. */
  private subscriber: (() => void) | null = null
  private down = false
  /** Outages so far: each breaker's `storeError` is emitted once per outage. */
  private outage = 0
  private outageError: unknown = null
  private downSince = 0
  /** The command client's last `'error'` event, the cause of a "not ready". */
  private lastClientError: unknown
  private closed = false
  private offset = 0
  /** The pub/sub connection (re)subscribed: messages may have been lost for every name. */
  private resubscribed = false
  private readonly onClientError = (error: unknown) => {
    this.lastClientError = error
    // An outage found by a command before the client said why gets the client's reason.
    const first = this.outageError
    if (this.down && first instanceof StoreUnavailableError && first.cause === undefined)
      first.cause = error
    this.markDown(error)
  }
  private readonly onClientReady = () => this.syncer.pollSoon()

  /** @throws {InvalidOptionsError} naming the option, for a bad or unknown option (`null` included). */
  constructor(options: RedisStoreOptions) {
    this.options = resolveStoreOptions(options)
    this.client = seamFor(this.options.client)
    this.channel = `${this.options.prefix}events`
    this.fallback = new Fallback(this.options.onStoreUnavailable, this.options.pollInterval)
    this.subscriptions = new Subscriptions(this.options.prefix, (name) => this.forget(name))
    this.fleetLink = {
      client: this.client,
      keys: fleetKeysOf(this.options.prefix),
      instanceId: this.options.instanceId,
      fleetTtlMs: this.options.fleetTtlMs,
      commandTimeout: this.options.commandTimeout,
      keyTtl: this.options.stateTtl,
      offset: () => this.offset,
    }
    this.membership = new FleetMembership(this.fleetLink, () => this.subscriptions.names())
    const scripts = scriptsOn(this.client)
    this.commands = new Commands(scripts, this.options, this.channel, () => this.offset)
    // A client that connects (or reconnects) is read at once, not at the next jittered poll.
    this.unwatch = this.client.watch(this.onClientReady, this.onClientError)
    this.syncer = new Syncer(this.options, {
      flush: (name, batch, window) => this.record(name, batch, window),
      poll: () => this.poll(),
    })
  }

  /**
   * This instance's id: what it reports as for `quorum` and what {@link RedisStore.fleet} lists it
   * under. The `instanceId` option, by default `${os.hostname()}:${process.pid}:` + 4 random hex digits.
   */
  get instanceId(): string {
    return this.options.instanceId
  }

  /**
   * Every circuit Redis knows under this store's prefix, sorted by name: the names breakers of
   * any instance use (this one or not), and circuits moved by a store holding no breaker of them
   * (an operator's tool), with each one's shared state (read as {@link RedisStore.read} reads it)
   * and the instances holding a breaker of it that heartbeat within `fleetTtlMs`. A circuit
   * nobody holds is listed while Redis keeps its state (it moved, and `stateTtl` has not expired).
   * Names longer than 1,024 characters are not recorded, so not listed. Not for a call's path:
   * it reads Redis page by page (a few calls per 500 circuits).
   * @throws {StoreUnavailableError} when the client is not ready, or the Redis error or
   *   {@link StoreTimeoutError} of a call that failed; the breakers are not affected.
   */
  async fleet(): Promise<FleetCircuit[]> {
    if (this.closed || !this.client.ready()) throw this.notReady()
    // This instance's own entry is current in the listing it makes.
    await this.membership.beat()
    return listFleet(this.fleetLink, (names) => this.readMany(names))
  }

  /** True while the store answers from its fallback (Redis unreachable or failing). */
  get unavailable(): boolean {
    return this.down || !this.client.ready()
  }

  /**
   * Listens to the store's own events: `down` (once per outage), `up` (Redis answers again) and
   * `error` (a failure of one breaker's key only). Returns the function that stops listening.
   * @throws {InvalidOptionsError} for an unknown event or a listener that is not a function.
   */
  on<K extends keyof RedisStoreEvents>(
    event: K,
    listener: (payload: RedisStoreEvents[K]) => void,
  ): Unsubscribe {
    return this.emitter.on(event, listener)
  }

  /**
   * Test only: moves Redis time as the scripts see it forward by `ms` (an offset added to
   * `TIME`). Throws unless the store was built with `testing: true`.
   */
  travel(ms: number): void {
    if (!this.options.testing) throw new Error('RedisStore.travel needs the option testing: true')
    this.offset += ms
  }

  /** @inheritdoc */
  read(name: string): Promise<SharedState> {
    const command = this.commands.read(name, this.known(name))
    return this.run(name, command, () => this.fallback.read(name))
  }

  /** @inheritdoc */
  subscribe(
    name: string,
    listener: (state: SharedState) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    this.subscriber ??= this.openSubscriber()
    this.syncer.start()
    if (this.subscriptions.get(name) === undefined) this.membership.join(name)
    const unsubscribe = this.subscriptions.add(name, listener, onError)
    // A breaker created during an outage hears of it too: after its constructor returns, so a
    // listener attached right after `new CircuitBreaker(...)` gets it.
    if (this.down && onError !== undefined)
      queueMicrotask(() => {
        if (this.down && !this.closed)
          this.subscriptions.failedNew(name, this.outage, this.outageError)
      })
    return unsubscribe
  }

  /** @inheritdoc */
  transition(name: string, request: TransitionRequest): Promise<SharedState> {
    if (request.fromGeneration !== null) this.fallback.follow(name, request.fromGeneration)
    // Known before the local move: a lost key is re-created at the generation the request is from.
    const known = this.known(name)
    // The fallback moves now, as the breaker did: if Redis never answers, the local open
    // deadline counts from the trip, not from the timeout. A Redis answer overrides it.
    const local = this.fallback.transition(name, request)
    const moved = this.run(name, this.commands.transition(name, known, request), () => local)
    if (this.subscriptions.get(name) !== undefined) return moved
    // Moved by a store holding no breaker of it (an operator's tool): recorded, so it is listed.
    return Promise.all([moved, this.membership.mention(name)]).then(([state]) => state)
  }

  /** @inheritdoc */
  acquireProbe(name: string, request: ProbeRequest): Promise<ProbeGrant> {
    const sub = this.subscriptions.get(name)
    const denial = sub?.denial
    if (sub !== undefined && denial !== undefined && !this.down) {
      const current =
        denial.grant.state.generation === request.generation && denial.offset === this.offset
      if (current && performance.now() < denial.until) return Promise.resolve(denial.grant)
      sub.denial = undefined
    }
    const command = this.commands.acquire(name, this.known(name), request)
    const answer = this.run(name, command, () => this.fallback.acquireProbe(name, request))
    return answer.then((grant) => this.remember(name, grant))
  }

  /** @inheritdoc */
  releaseProbe(name: string, release: ProbeRelease): Promise<ProbeReleaseResult> {
    const command = this.commands.release(name, this.known(name), release)
    return this.run(name, command, () => this.fallback.releaseProbe(name, release))
  }

  /** @inheritdoc */
  record(name: string, batch: OutcomeBatch, window: WindowSpec): Promise<RecordResult> {
    const command = this.commands.record(name, this.known(name), batch, window)
    return this.run(name, command, () => this.fallback.record(name, batch, window))
  }

  /** @inheritdoc */
  track(name: string, feed: OutcomeFeed): OutcomeTracking {
    const { leaseMs } = this.options
    // A lease shorter than the call it guards would let a second probe in while the first runs.
    if (leaseMs !== undefined && feed.callTimeout !== undefined && leaseMs <= feed.callTimeout) {
      const rule = `> the call timeout of breaker "${name.slice(0, 100)}" (${feed.callTimeout} ms)`
      throw new InvalidOptionsError('leaseMs', rule, leaseMs)
    }
    return this.syncer.track(name, feed)
  }

  /** @inheritdoc */
  async delete(name: string): Promise<void> {
    const k = keysOf(this.options.prefix, name)
    this.fallback.delete(name)
    if (this.unavailable) return
    try {
      await withTimeout(
        this.client.del([k.state, k.window, k.leases, k.reporters]),
        this.options.commandTimeout,
      )
    } catch (error) {
      this.markDown(error)
    }
  }

  /** Stops timers and closes the pub/sub connection. The client passed in stays open. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.syncer.stop()
    this.membership.close()
    this.unwatch()
    this.subscriber?.()
    this.subscriber = null
    this.subscriptions.clear()
    this.fallback.close()
    this.emitter.clear()
  }

  /** What this instance knows of `name`, sent with each script (see {@link Known}). */
  private known(name: string): Known {
    const state = this.fallback.known(name)
    const sub = this.subscriptions.get(name)
    const alone = sub?.dirty === true && state.generation > sub.heardGeneration
    return { state, alone }
  }

  /** Caches a refusal while half_open (see `Subscription.denial`). */
  private remember(name: string, grant: ProbeGrant): ProbeGrant {
    const sub = this.subscriptions.get(name)
    if (sub === undefined || grant.granted || grant.state.state !== 'half_open' || this.down)
      return grant
    const jitter = 0.85 + 0.3 * Math.random()
    const until = performance.now() + this.options.syncInterval * jitter
    sub.denial = { grant, until, offset: this.offset }
    return grant
  }

  /**
   * Runs one script with the timeout, parses its answer and keeps the fallback and the
   * subscribers in step; any failure (not ready, timeout, error reply, malformed reply)
   * answers from the fallback instead. Never rejects.
   */
  private async run<T extends Answer>(
    name: string,
    command: Command<T>,
    fallback: () => T,
  ): Promise<T> {
    try {
      if (this.closed || this.unavailable) {
        if (!this.closed && !this.down) this.markDown(this.notReady())
        return this.alone(name, fallback)
      }
      try {
        const reply = await withTimeout(command.send(), this.options.commandTimeout)
        const answer = command.parse(reply)
        this.heard(name, stateOf(answer), false)
        return answer
      } catch (error) {
        // A foreign value in one breaker's key concerns that breaker only, not the connection.
        if (error instanceof MalformedReplyError) this.malformed(name, error)
        else this.markDown(error)
        return this.alone(name, fallback)
      }
    } finally {
      // Names no breaker listens to are not kept: memory follows the breakers alive.
      if (this.subscriptions.get(name) === undefined) this.fallback.delete(name)
    }
  }

  /** Answers from the fallback, marking the name as moved without Redis. */
  private alone<T>(name: string, fallback: () => T): T {
    const sub = this.subscriptions.get(name)
    if (sub !== undefined) sub.dirty = true
    return fallback()
  }

  private notReady(): StoreUnavailableError {
    return new StoreUnavailableError(this.client.status(), this.lastClientError)
  }

  /**
   * A state heard from Redis (a script's answer, or a published message): what is known follows
   * it, and subscribers get it if newer. One older than what is known means Redis lost the key
   * and an instance that knew less re-created it: it is not taken, and the next poll reads the
   * name, which moves the key past what this instance knows.
   */
  private heard(name: string, state: SharedState, published: boolean): void {
    const sub = this.subscriptions.get(name)
    if (sub === undefined) return
    // While this instance moves alone, only a script carrying its moves may overwrite them.
    if (published && sub.dirty) return
    if (state.generation < this.fallback.known(name).generation) {
      sub.heardAt = 0
      this.syncer.pollSoon()
      return
    }
    this.fallback.seed(name, state)
    sub.heardAt = performance.now()
    sub.heardGeneration = state.generation
    sub.dirty = false
    sub.malformed = false
    if (sub.denial !== undefined && sub.denial.grant.state.generation !== state.generation)
      sub.denial = undefined
    this.subscriptions.push(name, state)
  }

  /** A foreign value in the key of `name`: told once, until the key holds a valid state again. */
  private malformed(name: string, error: MalformedReplyError): void {
    const sub = this.subscriptions.get(name)
    if (sub !== undefined) {
      if (sub.malformed) return
      sub.malformed = true
    }
    this.subscriptions.failedOne(name, error)
    this.emitter.emit('error', { name, error })
  }

  /** Redis failed: answer from the fallback until a poll reaches it again. Once per outage. */
  private markDown(error: unknown): void {
    if (this.closed || this.down) return
    this.down = true
    this.outage++
    this.outageError = error
    this.downSince = performance.now()
    this.syncer.pollSoon()
    this.subscriptions.dirtyAll()
    this.emitter.emit('down', { error })
    // After the current call stack: a breaker whose constructor found the store down has its
    // storeError listener attached by then.
    queueMicrotask(() => this.tellOutage())
    if (this.fallback.pushes)
      for (const name of this.subscriptions.names())
        this.subscriptions.push(name, this.fallback.read(name), true)
  }

  /** Tells every breaker not yet told of the current outage (breakers created during it too). */
  private tellOutage(): void {
    if (this.down && !this.closed) this.subscriptions.failed(this.outage, this.outageError)
  }

  /** Redis took a write again: the outage is over. */
  private markUp(): void {
    if (!this.down) return
    this.down = false
    this.emitter.emit('up', { downtimeMs: Math.round(performance.now() - this.downSince) })
  }

  /**
   * Reads every subscribed name (one pipeline on one Redis; concurrent reads, each to its slot's
   * node, on a cluster): lost messages, and recovery after an outage. While down it starts with a
   * write, not a PING: a Redis out of memory answers PING and reads but refuses writes, and is
   * still down. Up again only when the write and every read went through, so a cluster with a
   * master still failing over stays down rather than going up and down at each poll.
   */
  private async poll(): Promise<void> {
    if (this.closed || !this.client.ready()) return
    const recovering = this.down
    // Names heard from lately (flush replies, messages) need no poll, except to recover.
    const names =
      recovering || this.resubscribed
        ? this.subscriptions.names()
        : this.subscriptions.unheardFor(this.options.pollInterval / 2)
    this.resubscribed = false
    try {
      if (!recovering) this.membership.beatIfDue()
      const probe = `${this.options.prefix}probe:${breakerId(this.options.instanceId)}`
      const check = recovering
        ? this.client.mark(probe, Math.max(this.options.pollInterval * 4, 1_000))
        : this.client.ping(probe)
      const calls = names.map((name) => ({
        name: 'tripswitchRead' as const,
        args: this.commands.head(name, this.known(name)),
      }))
      const [, results] = await withTimeout(
        Promise.all([check, this.client.scripts(calls)]),
        this.options.commandTimeout,
      )
      if (results.every(([error]) => error === null)) this.markUp()
      else this.client.heal()
      results.forEach(([error, reply], i) => {
        this.polled(names[i]!, error, reply)
      })
    } catch (error) {
      this.client.heal()
      this.markDown(error)
    }
  }

  /** One read of the poll. */
  private polled(name: string, error: Error | null, reply: unknown): void {
    let state: SharedState
    try {
      if (error) throw error
      state = stateAt(reply, 0)
    } catch (failure) {
      // One unreadable breaker is that breaker's problem; a failing Redis is everyone's.
      if (failure instanceof MalformedReplyError) this.malformed(name, failure)
      else this.markDown(failure)
      return
    }
    this.heard(name, state, false)
  }

  /** The last listener of `name` went (its breaker was disposed or evicted): forget it. */
  private forget(name: string): void {
    this.fallback.delete(name)
    this.membership.leave(name)
  }

  /**
   * The states of `names` through the read script (as {@link RedisStore.read}, with what this
   * instance knows of each), one pipeline or one round of concurrent calls. A name whose key
   * holds a foreign value is undefined; any other failure is thrown.
   */
  private async readMany(names: readonly string[]): Promise<(SharedState | undefined)[]> {
    const calls = names.map((name) => ({
      name: 'tripswitchRead' as const,
      args: this.commands.head(name, this.known(name)),
    }))
    const results = await withTimeout(this.client.scripts(calls), this.options.commandTimeout)
    // A key holding another type concerns that name only; any other failure, the listing.
    const failed = results.find(([error]) => error !== null && !/^WRONGTYPE/.test(error.message))
    if (failed !== undefined) throw failed[0]
    return results.map(([error, reply]) => {
      if (error !== null) return undefined
      try {
        return stateAt(reply, 0)
      } catch {
        return undefined
      }
    })
  }

  private openSubscriber(): () => void {
    return this.client.subscribe(this.channel, {
      onMessage: (message) => this.onMessage(message),
      // Messages published before this (re)subscription are lost: read everything now.
      onReady: () => {
        this.resubscribed = true
        this.syncer.pollSoon()
      },
      onError: () => {
        // The command connection's failures are what count; this one reconnects by itself.
      },
    })
  }

  private onMessage(message: string): void {
    const parsed = parseMessage(message)
    if (parsed === undefined) return
    const name = this.subscriptions.nameOf(parsed.id)
    if (name !== undefined) this.heard(name, parsed.state, true)
  }
}
