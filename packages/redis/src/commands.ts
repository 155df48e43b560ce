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

/** The store operations as script calls: argument order and reply layout live here only. */
export class Commands {
  constructor(
    private readonly scripts: Scripts,
    private readonly options: ResolvedStoreOptions,
    private readonly channel: string,
    /** The test-only time offset (always 0 unless the store was built with `testing`). */
    private readonly offset: () => number,
  ) {}

  read(name: string): Command<SharedState> {
    const k = keysOf(this.options.prefix, name)
    return {
      send: () => this.scripts.tripswitchRead(k.state, this.offset()),
      parse: (reply) => stateAt(reply, 0),
    }
  }

  transition(name: string, request: TransitionRequest): Command<SharedState> {
    const k = keysOf(this.options.prefix, name)
    const { fromGeneration, to, openForMs, openings } = request
    return {
      send: () =>
        this.scripts.tripswitchTransition(
          ...[k.state, k.window, k.leases, this.offset(), fromGeneration ?? '', to],
          ...[openForMs, openings, this.options.stateTtl, this.channel, k.id],
        ),
      parse: (reply) => stateAt(reply, 0),
    }
  }

  acquire(name: string, request: ProbeRequest): Command<ProbeGrant> {
    const k = keysOf(this.options.prefix, name)
    const leaseMs = this.options.leaseMs ?? request.leaseMs
    return {
      send: () =>
        this.scripts.tripswitchAcquire(
          ...[k.state, k.leases, this.offset(), request.token, request.maxProbes, leaseMs],
          ...[this.options.stateTtl, this.channel, k.id],
        ),
      parse: (reply) => ({ granted: intAt(reply as Reply, 0) === 1, state: stateAt(reply, 1) }),
    }
  }

  release(name: string, release: ProbeRelease): Command<ProbeReleaseResult> {
    const k = keysOf(this.options.prefix, name)
    const { generation, token, outcome } = release
    return {
      send: () =>
        this.scripts.tripswitchRelease(
          k.state,
          k.leases,
          this.offset(),
          generation,
          token,
          outcome,
        ),
      parse: (reply) => ({
        held: intAt(reply as Reply, 0) === 1,
        successes: intAt(reply as Reply, 1),
        state: stateAt(reply, 2),
      }),
    }
  }

  record(name: string, batch: OutcomeBatch, window: WindowSpec): Command<RecordResult> {
    const k = keysOf(this.options.prefix, name)
    const { quorum, stateTtl, instanceId } = this.options
    const b = batch
    return {
      send: () =>
        this.scripts.tripswitchRecord(
          ...[k.state, k.window, k.reporters, this.offset(), b.generation, b.successes],
          ...[b.failures, b.slowCalls, b.trailingFailures, window.bucketMs, window.buckets],
          ...[stateTtl, quorum > 1 ? instanceId : ''],
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
