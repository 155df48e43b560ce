import { hostname } from 'node:os'
import type { CircuitSnapshot } from '@tripswitch/core'
import type { FleetCache } from './fleet.ts'
import type { CallRates, History } from './history.ts'
import type { ResolvedDashboardOptions } from './options.ts'
import type { TransitionLog } from './transitions.ts'
import {
  byName,
  type CircuitDetail,
  type CircuitView,
  circuitView,
  type DashboardState,
  fleetOnlyView,
} from './views.ts'

/** What the state is made from. */
export interface StateParts {
  readonly options: ResolvedDashboardOptions
  readonly fleet: FleetCache | undefined
  readonly rates: CallRates
  readonly history: History
  readonly transitions: TransitionLog
}

/** Produces the API's and the stream's views of the registry and the fleet. */
export class StateSource {
  /** This instance's name in the views. */
  readonly instance: string

  constructor(private readonly parts: StateParts) {
    this.instance = parts.options.fleet?.instanceId ?? `${hostname()}:${process.pid}`
  }

  /** The whole state; the fleet is read again when older than the stream's interval. */
  async state(): Promise<DashboardState> {
    const fleet = this.parts.fleet === undefined ? null : await this.parts.fleet.current()
    return {
      instance: this.instance,
      canAct: this.parts.options.authorize !== undefined,
      at: Date.now(),
      circuits: this.circuits(),
      fleet,
    }
  }

  /** One circuit with its history and transitions; undefined when neither side knows it. */
  async detail(name: string): Promise<CircuitDetail | undefined> {
    const { registry } = this.parts.options
    const fleet = this.parts.fleet
    if (fleet !== undefined) await fleet.current()
    const shared = fleet?.get(name) ?? null
    let view: CircuitView
    if (registry.has(name)) view = this.view(registry.get(name).snapshot(), Date.now())
    else if (shared !== null) view = fleetOnlyView(shared)
    else return undefined
    const { history, transitions } = this.parts
    return { ...view, history: history.of(name), transitions: transitions.of(name), fleet: shared }
  }

  /** The registry's circuits, sorted by name. */
  circuits(): CircuitView[] {
    const now = Date.now()
    const snapshots = this.parts.options.registry.snapshot()
    const views: CircuitView[] = []
    for (const name of Object.keys(snapshots)) views.push(this.view(snapshots[name]!, now))
    return views.sort(byName)
  }

  /** Samples the history, and forgets what belongs to circuits the registry dropped. */
  sample(): void {
    const snapshots = Object.values(this.parts.options.registry.snapshot())
    this.parts.history.sample(snapshots, Date.now())
    const names = new Set(snapshots.map((s) => s.name))
    this.parts.rates.keepOnly(names)
    this.parts.transitions.keepOnly(names)
  }

  private view(snapshot: CircuitSnapshot, now: number): CircuitView {
    return circuitView(snapshot, this.parts.rates.rate(snapshot.name, snapshot.totals.calls, now))
  }
}
