import { chunks, type FleetLink, fleetScript, recordedName } from './fleet.ts'

/** Names per JOIN or LEAVE script: each call's work in Redis stays small. */
const CHUNK = 256

/** Held names whose registration one heartbeat renews. */
const RENEWED = 100

/** JOIN modes (see fleet-scripts.ts). */
const NAMES_ONLY = '0'
const ADD = '1'
const REPLACE = '2'

/**
 * This instance's entry in the fleet: the names it holds a breaker for, and its heartbeat. Never
 * on a call's path: a name joins when the store starts serving it and leaves when its last
 * breaker goes, both batched into one script per turn of the event loop; the heartbeat rides on
 * the store's poll. A failed write marks the entry stale and the next heartbeat writes it whole.
 */
export class FleetMembership {
  private readonly joining = new Set<string>()
  private readonly leaving = new Set<string>()
  private scheduled = false
  /** The entry in Redis may be missing names (a write failed, or Redis was away). */
  private stale = false
  private lastBeat = Number.NEGATIVE_INFINITY
  /** Where the next heartbeat's slice of held names starts. */
  private next = 0
  private closed = false
  /** The writes in flight: one at a time, so a listing after `flush()` sees every join before it. */
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly link: FleetLink,
    /** The names this instance holds now. */
    private readonly held: () => readonly string[],
  ) {}

  /** The store started serving `name`. */
  join(name: string): void {
    const member = recordedName(name)
    if (member === undefined || this.closed) return
    this.leaving.delete(member)
    this.joining.add(member)
    this.schedule()
  }

  /** The last breaker of `name` went. */
  leave(name: string): void {
    const member = recordedName(name)
    if (member === undefined || this.closed) return
    this.joining.delete(member)
    this.leaving.add(member)
    this.schedule()
  }

  /**
   * Records `name` as a circuit without this instance holding it (a store that moves a circuit
   * it has no breaker for: an operator's tool). Never rejects.
   */
  async mention(name: string): Promise<void> {
    const member = recordedName(name)
    if (member === undefined || this.closed || !this.link.client.ready()) return
    await this.send('tripswitchFleetJoin', [NAMES_ONLY, member]).catch(() => {})
  }

  /** From the poll: heartbeats when a third of `fleetTtlMs` went by since the last one. */
  beatIfDue(): void {
    if (performance.now() - this.lastBeat < this.link.fleetTtlMs / 3) return
    this.beat().catch(() => {})
  }

  /**
   * Writes what is pending, then heartbeats (rewriting the whole entry when it is stale or gone).
   * Queued behind the writes in flight, as every write of the entry, so none overtakes another.
   */
  beat(): Promise<void> {
    const run = this.writing.then(() => this.write()).then(() => this.heartbeat())
    this.writing = run.catch(() => {})
    return run
  }

  /** Writes the joins and leaves queued so far, after the writes in flight. Never rejects. */
  flush(): Promise<void> {
    this.scheduled = false
    this.writing = this.writing.then(() => this.write())
    return this.writing
  }

  private async heartbeat(): Promise<void> {
    if (this.closed || !this.link.client.ready()) return
    if (!this.stale && this.held().length === 0) return
    this.lastBeat = performance.now()
    const ttl = this.setTtl()
    const kept = this.stale
      ? 0
      : await fleetScript(this.link, 'tripswitchFleetBeat', this.id, [this.id, ttl, ...this.turn()])
    if (kept !== 1) await this.rewrite()
  }

  private async write(): Promise<void> {
    const joins = [...this.joining]
    const leaves = [...this.leaving]
    this.joining.clear()
    this.leaving.clear()
    if (joins.length + leaves.length === 0 || this.closed) return
    if (!this.link.client.ready()) {
      this.stale = true
      return
    }
    try {
      for (const part of chunks(joins, CHUNK))
        await this.send('tripswitchFleetJoin', [ADD, ...part])
      for (const part of chunks(leaves, CHUNK))
        await this.send('tripswitchFleetLeave', ['0', ...part])
    } catch {
      this.stale = true
    }
  }

  /** The store closed: its entry goes now (best effort; otherwise it expires after `fleetTtlMs`). */
  close(): void {
    this.closed = true
    this.joining.clear()
    this.leaving.clear()
    // Sent now, before the caller quits its client. A join still in flight may land after it:
    // the instance then drops out fleetTtlMs later, as one that died.
    if (this.link.client.ready()) this.send('tripswitchFleetLeave', ['1']).catch(() => {})
  }

  /**
   * The next {@link RENEWED} names held, in turn: each held name's registration is renewed every
   * `names / 100` heartbeats, far within `stateTtl`, so a circuit whose holders died is listed as
   * long as its state may live.
   */
  private turn(): string[] {
    const held = this.held()
    if (held.length === 0) return []
    if (this.next >= held.length) this.next = 0
    const slice = held.slice(this.next, this.next + RENEWED)
    this.next += RENEWED
    return slice.flatMap((name) => recordedName(name) ?? [])
  }

  private get id(): string {
    return this.link.instanceId
  }

  /** The instance's set outlives two missed heartbeats; a live instance re-creates it if lost. */
  private setTtl(): number {
    return this.link.fleetTtlMs * 2
  }

  /** The whole entry again: this instance's set replaced by the names it holds now. */
  private async rewrite(): Promise<void> {
    const members = this.held().flatMap((name) => recordedName(name) ?? [])
    this.stale = true
    const parts = chunks(members, CHUNK)
    await this.send('tripswitchFleetJoin', [REPLACE, ...(parts[0] ?? [])])
    for (const part of parts.slice(1)) await this.send('tripswitchFleetJoin', [ADD, ...part])
    this.stale = false
  }

  private send(
    script: 'tripswitchFleetJoin' | 'tripswitchFleetLeave',
    rest: readonly string[],
  ): Promise<unknown> {
    const [mode, ...names] = rest
    const head =
      script === 'tripswitchFleetJoin' ? [this.id, this.setTtl(), mode!] : [this.id, mode!]
    return fleetScript(this.link, script, this.id, [...head, ...names])
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => void this.flush())
  }
}
