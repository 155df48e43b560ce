import type { Attributes } from '@opentelemetry/api'
import { CircuitState } from '@tripswitch/core'

/** Attribute naming the circuit, on metrics and spans. */
export const CIRCUIT = 'tripswitch.circuit'

/** Every state, in the order points are observed. */
export const STATES: readonly CircuitState[] = Object.values(CircuitState)

/** Kinds of `tripswitch.calls`, each with the field of `snapshot().totals` it reads. */
export const CALL_KINDS = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timeouts'],
  ['busy', 'busy'],
] as const

/** The attribute sets of one circuit's points, made once and reused at every collection. */
export class CircuitAttributes {
  readonly circuit: Attributes
  /** One per state, in the order of {@link STATES}. */
  readonly states: readonly Attributes[]
  /** One per kind, in the order of {@link CALL_KINDS}. */
  readonly kinds: readonly Attributes[]
  private edges: Map<string, Attributes> | null = null
  /** The last collection that saw the circuit. */
  seen = 0

  constructor(private readonly name: string) {
    this.circuit = { [CIRCUIT]: name }
    this.states = STATES.map((state) => ({ [CIRCUIT]: name, 'tripswitch.state': state }))
    this.kinds = CALL_KINDS.map(([kind]) => ({ [CIRCUIT]: name, 'tripswitch.call.kind': kind }))
  }

  /** The attributes of transition edge `from->to`. */
  edge(edge: string): Attributes {
    this.edges ??= new Map()
    let attributes = this.edges.get(edge)
    if (attributes === undefined) {
      const [from = '', to = ''] = edge.split('->')
      attributes = {
        [CIRCUIT]: this.name,
        'tripswitch.state.from': from,
        'tripswitch.state.to': to,
      }
      this.edges.set(edge, attributes)
    }
    return attributes
  }
}

/**
 * {@link CircuitAttributes} by circuit name, holding only the circuits of the last collection.
 * The SDK keeps the attributes of every stream it aggregates; handing it the same objects at
 * each collection spares making 14 objects per circuit that it would keep or drop anyway.
 */
export class AttributeCache {
  private readonly byName = new Map<string, CircuitAttributes>()
  private collection = 0

  /** Starts a collection: circuits not looked up until {@link sweep} are forgotten then. */
  begin(): void {
    this.collection++
  }

  /** The attributes of circuit `name`. */
  of(name: string): CircuitAttributes {
    let attributes = this.byName.get(name)
    if (attributes === undefined) {
      attributes = new CircuitAttributes(name)
      this.byName.set(name, attributes)
    }
    attributes.seen = this.collection
    return attributes
  }

  /** Forgets the circuits this collection did not see (evicted or deleted breakers). */
  sweep(): void {
    for (const [name, attributes] of this.byName)
      if (attributes.seen !== this.collection) this.byName.delete(name)
  }
}
