import { CircuitState } from '@tripswitch/core'

/** Every state, in the order series are written. */
export const STATES: readonly CircuitState[] = Object.values(CircuitState)

/** Kinds of `calls_total`, each with the field of `snapshot().totals` it reads. */
export const CALL_KINDS = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timeouts'],
  ['busy', 'busy'],
] as const

type Labels = Readonly<Record<string, string>>

/**
 * The label sets of one circuit's series, made once and kept while the circuit is held, so a
 * scrape makes no label objects of its own.
 */
export class CircuitLabels {
  readonly circuit: Labels
  readonly states: Readonly<Record<string, Labels>>
  readonly kinds: Readonly<Record<string, Labels>>
  private readonly edges = new Map<string, Labels>()

  constructor(readonly name: string) {
    this.circuit = { name }
    this.states = Object.fromEntries(STATES.map((state) => [state, { name, state }]))
    this.kinds = Object.fromEntries(CALL_KINDS.map(([kind]) => [kind, { name, kind }]))
  }

  /** The labels of transition edge `from->to`. */
  edge(edge: string): Labels {
    let labels = this.edges.get(edge)
    if (labels === undefined) {
      const [from = '', to = ''] = edge.split('->')
      labels = { name: this.name, from, to }
      this.edges.set(edge, labels)
    }
    return labels
  }
}

/** {@link CircuitLabels} by circuit name, holding only the circuits of the last scrape. */
export class LabelCache {
  private byName = new Map<string, CircuitLabels>()

  /** The labels of each of `names`; labels of names not among them are dropped. */
  refresh(names: readonly string[]): CircuitLabels[] {
    const previous = this.byName
    const next = new Map<string, CircuitLabels>()
    const out = names.map((name) => {
      const labels = previous.get(name) ?? new CircuitLabels(name)
      next.set(name, labels)
      return labels
    })
    this.byName = next
    return out
  }
}
