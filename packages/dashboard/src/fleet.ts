import { isCircuitState } from '@tripswitch/core'
import type { FleetCircuit, FleetSource } from './options.ts'
import { byName, type FleetCircuitView } from './views.ts'

/**
 * The fleet as last read from the store, refreshed at most once per `maxAgeMs` however many
 * requests and streams ask (one read in flight at a time). A failed read keeps the last good
 * list: what the store said when it failed (its message, its host) never reaches a client.
 */
export class FleetCache {
  private list: readonly FleetCircuitView[] = []
  private byName = new Map<string, FleetCircuitView>()
  private readAt = Number.NEGATIVE_INFINITY
  private reading: Promise<void> | null = null

  constructor(
    private readonly source: FleetSource,
    private readonly maxAgeMs: number,
  ) {}

  /** The fleet, read again first when the last read is older than `maxAgeMs`. */
  async current(): Promise<readonly FleetCircuitView[]> {
    if (Date.now() - this.readAt >= this.maxAgeMs) await this.refresh()
    return this.list
  }

  /** The fleet as last read, without waiting; starts a read when it is old. */
  peek(): readonly FleetCircuitView[] {
    if (Date.now() - this.readAt >= this.maxAgeMs) void this.refresh()
    return this.list
  }

  /** The circuit `name` as last read, if the store has it. */
  get(name: string): FleetCircuitView | undefined {
    return this.byName.get(name)
  }

  /** Reads the fleet now (joining a read in flight). */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = null
    })
    return this.reading
  }

  private async read(): Promise<void> {
    try {
      const circuits = await this.source.fleet()
      const views = Array.isArray(circuits) ? circuits.flatMap(fleetView).sort(byName) : []
      this.list = views
      this.byName = new Map(views.map((view) => [view.name, view]))
    } catch {
      // Kept: the last good list. The store reports its own errors to its own listeners.
    } finally {
      this.readAt = Date.now()
    }
  }
}

/** The view of one fleet entry; none for an entry that is not well formed. */
function fleetView(circuit: FleetCircuit): FleetCircuitView[] {
  const state = circuit?.state
  if (typeof circuit?.name !== 'string' || !isCircuitState(state?.state)) return []
  const instances = Array.isArray(circuit.instances) ? circuit.instances : []
  return [
    {
      name: circuit.name,
      state: state.state,
      generation: count(state.generation),
      retryAfterMs: count(state.retryAfterMs),
      openings: count(state.openings),
      instances: instances
        .filter((i) => typeof i?.id === 'string')
        .map((i) => ({ id: i.id, lastSeen: count(i.lastSeen) })),
    },
  ]
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}
