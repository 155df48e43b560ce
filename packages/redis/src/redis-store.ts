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
import type { Redis } from 'ioredis'
import { type Command, Commands } from './commands.ts'
import { Fallback } from './fallback.ts'
import { keysOf } from './keys.ts'
import { defineScripts, openSubscriber, StoreUnavailableError, withTimeout } from './link.ts'
import {
  type RedisStoreOptions,
  type ResolvedStoreOptions,
  resolveStoreOptions,
} from './options.ts'
import { MalformedReplyError, parseMessage, stateAt } from './replies.ts'
import { Subscriptions } from './subscriptions.ts'
import { Syncer } from './syncer.ts'

/** A half-open probe request Redis refused, reused until it expires or the generation moves. */
interface Denial {
  readonly grant: ProbeGrant
  readonly until: number
  /** Test time offset when refused: time travel ends the denial too. */
  readonly offset: number
}

/**
 * A {@link StateStore} in Redis: one circuit breaker shared by every process of a service.
 * Each operation is one Lua script (atomic, fenced by the generation, reading Redis `TIME`);
 * transitions are published and pushed to every instance, with a jittered poll for lost
 * messages. Outcomes reach Redis only as batches flushed every `syncInterval`, so a closed
 * breaker makes no Redis call per request. When Redis is slow or unreachable, every operation
 * answers from the `onStoreUnavailable` fallback within `commandTimeout`: a protected call never
 * fails or hangs because of Redis.
 */
export class RedisStore implements StateStore {
  private readonly options: ResolvedStoreOptions
  private readonly client: Redis
  private readonly commands: Commands
  private readonly channel: string
  /** Answers while Redis is away, kept in step with every answer from Redis. */
  private readonly fallback: Fallback
  private readonly subscriptions: Subscriptions
  /** Names answered by the fallback since Redis was last reached: their next answer resyncs. */
  private readonly dirty = new Set<string>()
  /**
   * Refused probe requests by name: while half_open, an instance asks Redis at most once per
   * `syncInterval` (±15 %), so Redis load during recovery is O(instances), not O(requests).
   */
  private readonly denials = new Map<string, Denial>()
  private readonly syncer: Syncer
  private subscriber: Redis | null = null
  private down = false
  private closed = false
  private offset = 0
  /** The pub/sub connection (re)subscribed: messages may have been lost for every name. */
  private resubscribed = false
  private readonly onClientError = (error: unknown) => this.markDown(error)

  constructor(options: RedisStoreOptions) {
    this.options = resolveStoreOptions(options)
    this.client = this.options.client
    this.channel = `${this.options.prefix}events`
    this.fallback = new Fallback(this.options.onStoreUnavailable, this.options.pollInterval)
    this.subscriptions = new Subscriptions(this.options.prefix)
    const scripts = defineScripts(this.client)
    this.commands = new Commands(scripts, this.options, this.channel, () => this.offset)
    this.client.on('error', this.onClientError)
    this.syncer = new Syncer(this.options, {
      flush: (name, batch, window) => this.record(name, batch, window),
      poll: () => this.poll(),
    })
  }

  /** True while the store answers from its fallback (Redis unreachable or failing). */
  get unavailable(): boolean {
    return this.down || this.client.status !== 'ready'
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
    return this.run(name, this.commands.read(name), () => this.fallback.read(name))
  }

  /** @inheritdoc */
  subscribe(
    name: string,
    listener: (state: SharedState) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    this.subscriber ??= this.openSubscriber()
    this.syncer.start()
    return this.subscriptions.add(name, listener, onError)
  }

  /** @inheritdoc */
  transition(name: string, request: TransitionRequest): Promise<SharedState> {
    // The fallback moves now, as the breaker did: if Redis never answers, the local open
    // deadline counts from the trip, not from the timeout. A Redis answer overrides it.
    const local = this.fallback.transition(name, request)
    return this.run(name, this.commands.transition(name, request), () => local)
  }

  /** @inheritdoc */
  acquireProbe(name: string, request: ProbeRequest): Promise<ProbeGrant> {
    const denial = this.denials.get(name)
    if (denial !== undefined && !this.down) {
      const current =
        denial.grant.state.generation === request.generation && denial.offset === this.offset
      if (current && performance.now() < denial.until) return Promise.resolve(denial.grant)
      this.denials.delete(name)
    }
    const command = this.commands.acquire(name, request)
    const answer = this.run(name, command, () => this.fallback.acquireProbe(name, request))
    return answer.then((grant) => this.remember(name, grant))
  }

  /** @inheritdoc */
  releaseProbe(name: string, release: ProbeRelease): Promise<ProbeReleaseResult> {
    const command = this.commands.release(name, release)
    return this.run(name, command, () => this.fallback.releaseProbe(name, release))
  }

  /** @inheritdoc */
  record(name: string, batch: OutcomeBatch, window: WindowSpec): Promise<RecordResult> {
    const command = this.commands.record(name, batch, window)
    return this.run(name, command, () => this.fallback.record(name, batch, window))
  }

  /** Caches a refusal while half_open (see {@link denials}). */
  private remember(name: string, grant: ProbeGrant): ProbeGrant {
    if (grant.granted || grant.state.state !== 'half_open' || this.down) return grant
    const jitter = 0.85 + 0.3 * Math.random()
    const until = performance.now() + this.options.syncInterval * jitter
    this.denials.set(name, { grant, until, offset: this.offset })
    return grant
  }

  /** @inheritdoc */
  track(name: string, feed: OutcomeFeed): OutcomeTracking {
    const { leaseMs } = this.options
    // A lease shorter than the call it guards would let a second probe in while the first runs.
    if (leaseMs !== undefined && feed.callTimeout !== undefined && leaseMs <= feed.callTimeout) {
      const rule = `> the call timeout of breaker "${name}" (${feed.callTimeout} ms)`
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
        this.client.del(k.state, k.window, k.leases, k.reporters),
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
    this.client.off('error', this.onClientError)
    this.subscriber?.disconnect()
    this.subscriber = null
    this.subscriptions.clear()
    this.fallback.close()
  }

  /**
   * Runs one script with the timeout, parses its answer and keeps the fallback and the
   * subscribers in step; any failure (not ready, timeout, error reply, malformed reply)
   * answers from the fallback instead. Never rejects.
   */
  private async run<T extends { state: SharedState } | SharedState>(
    name: string,
    command: Command<T>,
    fallback: () => T,
  ): Promise<T> {
    if (this.closed || this.unavailable) {
      if (!this.closed && !this.down) this.markDown(new StoreUnavailableError(this.client.status))
      this.dirty.add(name)
      return fallback()
    }
    try {
      const reply = await withTimeout(command.send(), this.options.commandTimeout)
      let answer = command.parse(reply)
      const bare = 'generation' in answer
      const state = bare ? (answer as SharedState) : (answer as { state: SharedState }).state
      if (this.dirty.delete(name)) {
        const resynced = { ...state, resync: true }
        answer = (bare ? resynced : { ...answer, state: resynced }) as T
      }
      this.heard(name, state)
      return answer
    } catch (error) {
      // A foreign value in one breaker's key concerns that breaker only, not the connection.
      if (error instanceof MalformedReplyError) this.subscriptions.failedOne(name, error)
      else this.markDown(error)
      this.dirty.add(name)
      return fallback()
    }
  }

  /** A state heard from Redis: the fallback follows it, and subscribers get it if newer. */
  private heard(name: string, state: SharedState, resync = false): void {
    this.fallback.seed(name, state)
    const denial = this.denials.get(name)
    if (denial !== undefined && denial.grant.state.generation !== state.generation)
      this.denials.delete(name)
    this.subscriptions.push(name, state, resync)
  }

  /** Redis failed: answer from the fallback until a poll reaches it again. */
  private markDown(error: unknown): void {
    if (this.closed || this.down) return
    this.down = true
    this.syncer.pollSoon()
    const names = this.subscriptions.names()
    for (const name of names) this.dirty.add(name)
    this.subscriptions.failed(error)
    if (this.fallback.pushes)
      for (const name of names) this.subscriptions.push(name, this.fallback.read(name), true)
  }

  /** Reads every subscribed name (one pipeline): lost messages, and recovery after an outage. */
  private async poll(): Promise<void> {
    if (this.closed || this.client.status !== 'ready') return
    // Names heard from lately (flush replies, messages) need no poll, except to recover.
    const names =
      this.down || this.resubscribed
        ? this.subscriptions.names()
        : this.subscriptions.unheardFor(this.options.pollInterval / 2)
    this.resubscribed = false
    try {
      const pipeline = this.client.pipeline() as unknown as Record<
        string,
        (...args: unknown[]) => unknown
      > & { exec(): Promise<[Error | null, unknown][] | null> }
      pipeline.ping!()
      for (const name of names)
        pipeline.tripswitchRead!(this.subscriptions.stateKey(name), this.offset)
      const results = (await withTimeout(pipeline.exec(), this.options.commandTimeout)) ?? []
      const [ping, ...reads] = results
      if (ping?.[0]) throw ping[0]
      this.down = false
      reads.forEach(([error, reply], i) => {
        const name = names[i]!
        let state: SharedState
        try {
          if (error) throw error
          state = stateAt(reply, 0)
        } catch (failure) {
          // One unreadable breaker is that breaker's problem; the store is up.
          this.subscriptions.failedOne(name, failure)
          return
        }
        this.heard(name, state, this.dirty.delete(name))
      })
    } catch (error) {
      this.markDown(error)
    }
  }

  private openSubscriber(): Redis {
    return openSubscriber(
      this.options,
      this.channel,
      (message) => this.onMessage(message),
      // Messages published before this (re)subscription are lost: read everything now.
      () => {
        this.resubscribed = true
        this.syncer.pollSoon()
      },
      () => {
        // The command connection's failures are what count; this one reconnects by itself.
      },
    )
  }

  private onMessage(message: string): void {
    const parsed = parseMessage(message)
    if (parsed === undefined) return
    const name = this.subscriptions.nameOf(parsed.id)
    if (name !== undefined && !this.dirty.has(name)) this.heard(name, parsed.state)
  }
}
