import type { Deadlines, Waiting } from './deadlines.ts'
import { CircuitTimeoutError } from './errors.ts'
import type { CallPermit } from './permit.ts'

/** What a {@link SignalledCall} needs from its breaker. */
export interface CallOwner {
  readonly name: string
  /** The deadlines of the breaker's timed calls. */
  readonly timeouts: Deadlines
  /** Settles a call that answered `value`; returns what the caller gets, or throws. */
  resolved(permit: CallPermit, value: unknown): unknown
  /** Settles a call that failed with `error`; returns the fallback's answer, or throws. */
  failed(permit: CallPermit, error: unknown, args: unknown[]): unknown
}

type Resolve = (value: unknown) => void
type Reject = (reason: unknown) => void

/** What a call's promise executor hands its resolving functions to. */
interface Answer {
  resolve: Resolve
  reject: Reject
}

// The promise executor is one function for every call: it hands the resolving functions to
// the call being made (set just before, read at once: executors run synchronously).
let making: Answer | undefined
const CAPTURE = (resolve: Resolve, reject: Reject): void => {
  const call = making!
  call.resolve = resolve
  call.reject = reject
}
const ONCE = { once: true } as const

/**
 * One call with a `timeout` or a caller's signal: its entry in the breaker's deadline list, its
 * listener on the caller's signal, and its answer. One object per call rather than a closure
 * per role: this path runs on every timed call.
 */
export class SignalledCall implements Waiting {
  prevDue: Waiting | null = null
  nextDue: Waiting | null = null
  resolve: Resolve = ignore
  reject: Reject = ignore
  /** The listener on the caller's signal, while there is one. */
  onAbort: (() => void) | undefined = undefined

  private constructor(
    private readonly owner: CallOwner,
    private readonly permit: CallPermit,
    private readonly args: unknown[],
    /** Aborts fn's signal; null when fn reads none and no caller's signal is given. */
    private readonly controller: AbortController | null,
    private readonly caller: AbortSignal | undefined,
    private readonly timeout: number | undefined,
    readonly deadline: number,
  ) {}

  /**
   * Answers `result` (what fn returned or a rejection of what it threw) under `permit`: settled
   * on fn's answer, on the deadline, or when `caller` aborts, whichever comes first.
   */
  static answer<T>(
    owner: CallOwner,
    permit: CallPermit,
    args: unknown[],
    controller: AbortController | null,
    caller: AbortSignal | undefined,
    timeout: number | undefined,
    deadline: number,
    result: T | PromiseLike<T>,
  ): Promise<T> {
    const call = new SignalledCall(owner, permit, args, controller, caller, timeout, deadline)
    making = call
    const promise = new Promise<unknown>(CAPTURE) as Promise<T>
    making = undefined
    if (timeout !== undefined) owner.timeouts.add(call)
    if (caller !== undefined) {
      // A function, not the call itself as an EventListener object: Node wraps those in more.
      const onAbort = () => call.callerAborted()
      call.onAbort = onAbort
      // The caller's listener goes with the call: a long-lived signal gathers none.
      caller.addEventListener('abort', onAbort, ONCE)
      // fn may have aborted the caller's signal itself, before anyone listened.
      if (caller.aborted) call.callerAborted()
    }
    Promise.resolve(result).then(
      (value) => call.answerWith(true, value),
      (error: unknown) => call.answerWith(false, error),
    )
    return promise
  }

  /** The deadline passed (called by the deadline list): a failure, and fn's signal aborts. */
  expire(): void {
    const error = new CircuitTimeoutError(this.owner.name, this.timeout!)
    if (!this.permit.done) this.controller?.abort(error)
    this.answerWith(false, error)
  }

  /** The caller's signal aborted: fn's signal aborts, the outcome is ignored, the call rejects. */
  callerAborted(): void {
    const permit = this.permit
    if (permit.done) return
    if (this.timeout !== undefined) this.owner.timeouts.remove(this)
    const reason: unknown = this.caller!.reason
    this.controller?.abort(reason)
    permit.ignore()
    this.reject(reason)
  }

  /** Settles the call with fn's value (`ok`) or error, unless it was settled already. */
  private answerWith(ok: boolean, value: unknown): void {
    const permit = this.permit
    if (permit.done) return
    if (this.timeout !== undefined) this.owner.timeouts.remove(this)
    if (this.onAbort !== undefined) this.caller?.removeEventListener('abort', this.onAbort)
    try {
      this.resolve(
        ok ? this.owner.resolved(permit, value) : this.owner.failed(permit, value, this.args),
      )
    } catch (error) {
      this.reject(error)
    }
  }
}

function ignore(): void {}

/** What a {@link TimedCall} needs from its breaker. */
export interface LeanCallOwner {
  readonly name: string
  /** The deadlines of the breaker's timed calls. */
  readonly timeouts: Deadlines
  /**
   * Counts the outcome of a call admitted in `generation`: fn's value (`ok`) or error. Returns
   * what the caller gets, or throws.
   */
  leanOutcome(generation: number, ok: boolean, value: unknown): unknown
}

/**
 * A timed call on the lean path (closed circuit, no caller's signal, options with nothing to
 * run on the outcome but counting): a {@link SignalledCall} without the permit and the caller's
 * signal. Settled on fn's answer or on the deadline, whichever comes first; the other is ignored.
 */
export class TimedCall implements Waiting {
  prevDue: Waiting | null = null
  nextDue: Waiting | null = null
  resolve: Resolve = ignore
  reject: Reject = ignore
  private settled = false

  private constructor(
    private readonly owner: LeanCallOwner,
    private readonly generation: number,
    /** Aborts fn's signal; null when fn reads none. */
    private readonly controller: AbortController | null,
    private readonly timeout: number,
    readonly deadline: number,
  ) {}

  /** Answers `result` (what fn returned, or a rejection of what it threw) within `timeout`. */
  static answer<T>(
    owner: LeanCallOwner,
    generation: number,
    controller: AbortController | null,
    timeout: number,
    deadline: number,
    result: T | PromiseLike<T>,
  ): Promise<T> {
    const call = new TimedCall(owner, generation, controller, timeout, deadline)
    making = call
    const promise = new Promise<unknown>(CAPTURE) as Promise<T>
    making = undefined
    owner.timeouts.add(call)
    Promise.resolve(result).then(
      (value) => call.settle(true, value),
      (error: unknown) => call.settle(false, error),
    )
    return promise
  }

  /** The deadline passed (called by the deadline list): a failure, and fn's signal aborts. */
  expire(): void {
    const error = new CircuitTimeoutError(this.owner.name, this.timeout)
    if (!this.settled) this.controller?.abort(error)
    this.settle(false, error)
  }

  /** Settles the call with fn's value (`ok`) or error, unless it was settled already. */
  private settle(ok: boolean, value: unknown): void {
    if (this.settled) return
    this.settled = true
    const owner = this.owner
    owner.timeouts.remove(this)
    try {
      this.resolve(owner.leanOutcome(this.generation, ok, value))
    } catch (error) {
      this.reject(error)
    }
  }
}
