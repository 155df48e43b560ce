import type {
  OutcomeBatch,
  ProbeGrant,
  ProbeRelease,
  ProbeReleaseResult,
  ProbeRequest,
  RecordResult,
  SharedState,
  TransitionRequest,
  WindowSpec,
} from '@tripswitch/core'
import { keysOf } from './keys.ts'
import type { Scripts } from './link.ts'
import type { ResolvedStoreOptions } from './options.ts'
import { intAt, type Reply, stateAt, totalsOf } from './replies.ts'

/** One script call and how to read its reply. */
export interface Command<T> {
  readonly send: () => Promise<unknown>
  readonly parse: (reply: unknown) => T
}

/**
 * What this instance knows of a breaker, sent with every script call: a script that finds the
 * key lost re-creates it from this, and one that finds it behind moves it past this, so the
 * breaker's generation never goes back because Redis forgot it.
 */
export interface Known {
  /** The state this instance last heard from Redis or reached itself. */
  readonly state: SharedState
  /** True when this instance moved the breaker alone while Redis was away: a stricter state of its own wins. */
  readonly alone: boolean
}

/**
 * A duration as whole ms, rounded up: Lua would store a fraction in `%.14g` form (losing digits of
 * an epoch-ms deadline), and a fractional deadline would come back as a fractional retryAfterMs.
 */
const whole = (ms: number): number => Math.ceil(ms)

/** The store operations as script calls: argument order and reply layout live here only. */
export class Commands {
  constructor(
    private readonly scripts: Scripts,
    private readonly options: ResolvedStoreOptions,
    private readonly channel: string,
    /** The test-only time offset (always 0 unless the store was built with `testing`). */
    private readonly offset: () => number,
  ) {}

  /** The arguments every script starts with (see scripts.ts): keys, then the common ARGV. */
  head(name: string, known: Known): (string | number)[] {
    const k = keysOf(this.options.prefix, name)
    const s = known.state
    return [
      ...[k.state, k.window, k.leases, k.reporters, this.offset(), this.channel, k.id],
      ...[this.options.stateTtl, s.state, s.generation, whole(s.retryAfterMs), s.openings],
      known.alone ? 1 : 0,
    ]
  }

  read(name: string, known: Known): Command<SharedState> {
    const head = this.head(name, known)
    return {
      send: () => this.scripts.tripswitchRead(...head),
      parse: (reply) => stateAt(reply, 0),
    }
  }

  transition(name: string, known: Known, request: TransitionRequest): Command<SharedState> {
    const head = this.head(name, known)
    const { fromGeneration, to, openForMs, openings } = request
    return {
      send: () =>
        this.scripts.tripswitchTransition(
          ...[...head, fromGeneration ?? '', to, whole(openForMs), openings],
        ),
      parse: (reply) => stateAt(reply, 0),
    }
  }

  acquire(name: string, known: Known, request: ProbeRequest): Command<ProbeGrant> {
    const head = this.head(name, known)
    const leaseMs = whole(this.options.leaseMs ?? request.leaseMs)
    return {
      send: () =>
        this.scripts.tripswitchAcquire(...head, request.token, request.maxProbes, leaseMs),
      parse: (reply) => ({ granted: intAt(reply as Reply, 0) === 1, state: stateAt(reply, 1) }),
    }
  }

  release(name: string, known: Known, release: ProbeRelease): Command<ProbeReleaseResult> {
    const head = this.head(name, known)
    const { generation, token, outcome } = release
    const slow = release.slow === true ? 1 : 0
    return {
      send: () => this.scripts.tripswitchRelease(...head, generation, token, outcome, slow),
      parse: (reply) => ({
        held: intAt(reply as Reply, 0) === 1,
        successes: intAt(reply as Reply, 1),
        failures: intAt(reply as Reply, 2),
        slowCalls: intAt(reply as Reply, 3),
        state: stateAt(reply, 4),
      }),
    }
  }

  record(
    name: string,
    known: Known,
    batch: OutcomeBatch,
    window: WindowSpec,
  ): Command<RecordResult> {
    const head = this.head(name, known)
    const { quorum, instanceId } = this.options
    const b = batch
    return {
      send: () =>
        this.scripts.tripswitchRecord(
          ...[...head, b.generation, b.successes, b.failures, b.slowCalls, b.trailingFailures],
          ...[window.bucketMs, window.buckets, quorum > 1 ? instanceId : ''],
        ),
      parse: (reply) => ({
        counted: intAt(reply as Reply, 0) === 1,
        totals: totalsOf(reply as Reply),
        quorum: quorum <= 1 || intAt(reply as Reply, 6) >= quorum,
        state: stateAt(reply, 7),
      }),
    }
  }
}
