import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  type CircuitBreakerRegistry,
  type CircuitState,
  DIAGNOSTICS_CHANNELS,
  type TransitionMessage,
  type Unsubscribe,
} from '@tripswitch/core'
import type { TransitionView } from './views.ts'

/** Transitions kept per circuit. */
export const TRANSITIONS_KEPT = 50
// Reasons heard on the diagnostics channel and not yet matched to a registry event: bounded,
// since the channel also carries the transitions of breakers outside this registry.
const MAX_HINT_NAMES = 1_000
const MAX_HINTS_PER_NAME = 8

interface Hint {
  readonly from: CircuitState
  readonly to: CircuitState
  readonly reason: string | undefined
}

type StateChange = { name: string; from: CircuitState; to: CircuitState }

/**
 * The last transitions of every circuit of a registry, from its `stateChange` events. The
 * registry event says what moved; why a circuit opened comes from core's
 * `tripswitch:transition` diagnostics channel, published just before the event. Only the
 * reason is kept: never the error, its message or its stack.
 */
export class TransitionLog {
  private readonly byName = new Map<string, TransitionView[]>()
  private readonly hints = new Map<string, Hint[]>()
  private stopRegistry: Unsubscribe | null = null
  private readonly onHint = (message: unknown) => this.hint(message as TransitionMessage)

  constructor(
    registry: CircuitBreakerRegistry,
    private readonly onTransition: (view: TransitionView) => void,
  ) {
    subscribe(DIAGNOSTICS_CHANNELS.transition, this.onHint)
    this.stopRegistry = registry.on('stateChange', (event) => this.record(event))
  }

  /** The last transitions of `name`, oldest first (a copy). */
  of(name: string): TransitionView[] {
    return [...(this.byName.get(name) ?? [])]
  }

  /** Forgets the circuits not in `names`. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.byName.keys()) if (!names.has(name)) this.byName.delete(name)
  }

  /** Stops listening. */
  close(): void {
    this.stopRegistry?.()
    this.stopRegistry = null
    unsubscribe(DIAGNOSTICS_CHANNELS.transition, this.onHint)
    this.hints.clear()
  }

  private hint({ name, from, to, reason }: TransitionMessage): void {
    if (typeof name !== 'string') return
    if (this.hints.size >= MAX_HINT_NAMES && !this.hints.has(name)) this.hints.clear()
    const list = this.hints.get(name) ?? []
    list.push({ from, to, reason })
    if (list.length > MAX_HINTS_PER_NAME) list.shift()
    this.hints.set(name, list)
  }

  private record({ name, from, to }: StateChange): void {
    const view: TransitionView = {
      name,
      from,
      to,
      reason: this.reasonOf(name, from, to),
      at: Date.now(),
    }
    let list = this.byName.get(name)
    if (list === undefined) {
      list = []
      this.byName.set(name, list)
    }
    list.push(view)
    if (list.length > TRANSITIONS_KEPT) list.shift()
    this.onTransition(view)
  }

  /** The channel's reason for this move when it was heard, else one read from the edge. */
  private reasonOf(name: string, from: CircuitState, to: CircuitState): string {
    const list = this.hints.get(name)
    const index = list?.findIndex((h) => h.from === from && h.to === to) ?? -1
    const heard = index >= 0 ? list![index]!.reason : undefined
    if (list !== undefined && index >= 0) {
      list.splice(0, index + 1)
      if (list.length === 0) this.hints.delete(name)
    }
    return heard ?? reasonOfEdge(from, to)
  }
}

/** Why a circuit took the edge `from -> to`, when no better reason was heard. */
export function reasonOfEdge(from: CircuitState, to: CircuitState): string {
  switch (to) {
    case 'open':
      return from === 'half_open' ? 'probe-failed' : 'threshold'
    case 'forced_open':
      return 'forced'
    case 'half_open':
      return 'recovery-timeout'
    case 'disabled':
      return 'disabled'
    default:
      return from === 'half_open' ? 'probe-succeeded' : 'reset'
  }
}
