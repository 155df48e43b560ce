/**
 * Scenario 4: heap bytes and timers per idle breaker, for 10,000 breakers held alive.
 *
 * Per library: force GC, read `heapUsed`, create the breakers into a preallocated array, force
 * GC again, read `heapUsed`. The names are built beforehand so no library pays for them. This
 * runs several times per library (interleaved) and reports the median.
 *
 * Timers are counted two ways: live `Timeout` objects seen by an async hook (unref'd ones
 * included, which is what keeps memory and CPU busy), and ref'd timers in
 * `process.getActiveResourcesInfo()` (what keeps a process from exiting).
 */
import { createHook } from 'node:async_hooks'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { collectGarbage, median } from './harness.ts'
import { cockatiel, LIBRARIES, opossum, tripswitch } from './libraries.ts'
import { formatInt, type Scenario, type TargetCheck } from './report.ts'

const BREAKERS = 10_000
const REPEATS = 3
const TARGET_BYTES = 250

interface Subject {
  readonly name: string
  /** Creates breaker `i` (called BREAKERS times), returns what must be kept alive. */
  readonly create: (name: string) => unknown
  /** Called before each repeat (e.g. a fresh registry, created outside the measurement). */
  readonly prepare?: () => void
  /** Releases what the breakers hold (timers), after the measurement. */
  readonly dispose?: (held: readonly unknown[]) => void
}

interface Reading {
  readonly bytes: number
  readonly timers: number
  readonly refTimers: number
}

const fn = async (): Promise<number> => 1

/** Counts live Timeout resources, unref'd included, while enabled. */
function timerTracker() {
  const live = new Set<number>()
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id)
    },
    destroy(id) {
      live.delete(id)
    },
  })
  return {
    start: () => hook.enable(),
    stop: () => hook.disable(),
    count: () => live.size,
  }
}

const refTimers = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

function measureOnce(
  subject: Subject,
  names: readonly string[],
  timers: ReturnType<typeof timerTracker>,
): Reading {
  subject.prepare?.()
  const held: unknown[] = new Array<unknown>(names.length).fill(null)
  collectGarbage()
  collectGarbage()
  const timersBefore = timers.count()
  const refBefore = refTimers()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < names.length; i++) held[i] = subject.create(names[i]!)
  collectGarbage()
  collectGarbage()
  const after = process.memoryUsage().heapUsed
  const reading = {
    bytes: (after - before) / names.length,
    timers: timers.count() - timersBefore,
    refTimers: refTimers() - refBefore,
  }
  subject.dispose?.(held)
  return reading
}

export const memory: Scenario = {
  id: 'memory',
  title: 'memory per idle breaker',
  async run() {
    const names = Array.from({ length: BREAKERS }, (_, i) => `b${i}`)
    let registry = new CircuitBreakerRegistry({ maxBreakers: 20_000 })
    const opossumDispose = (held: readonly unknown[]) => {
      for (const b of held)
        if (b instanceof Object && 'shutdown' in b && typeof b.shutdown === 'function') b.shutdown()
    }
    const subjects: Subject[] = [
      {
        name: `${LIBRARIES.tripswitch} new CircuitBreaker({ name })`,
        create: (name) => tripswitch({ name }),
      },
      {
        name: `${LIBRARIES.tripswitch} registry.get(name)`,
        prepare: () => {
          registry = new CircuitBreakerRegistry({ maxBreakers: 20_000 })
        },
        create: (name) => registry.get(name),
      },
      {
        name: `${LIBRARIES.opossum} new CircuitBreaker(fn, { name })`,
        create: (name) => opossum(fn, { name }),
        dispose: opossumDispose,
      },
      {
        name: `${LIBRARIES.cockatiel} circuitBreaker(handleAll, Consecutive)`,
        create: () => cockatiel(5),
      },
    ]

    const timers = timerTracker()
    timers.start()
    const readings = subjects.map(() => [] as Reading[])
    try {
      // Warm-up: compile constructors and create hidden classes outside the measurement.
      for (const subject of subjects) measureOnce(subject, names.slice(0, 200), timers)
      for (let r = 0; r < REPEATS; r++) {
        for (let k = 0; k < subjects.length; k++) {
          const index = (r + k) % subjects.length
          readings[index]!.push(measureOnce(subjects[index]!, names, timers))
        }
      }
    } finally {
      timers.stop()
    }
    registry = new CircuitBreakerRegistry()

    const rows = subjects.map((subject, i) => {
      const rs = readings[i]!
      return [
        subject.name,
        formatInt(median(rs.map((r) => r.bytes))),
        formatInt(median(rs.map((r) => r.timers))),
        formatInt(median(rs.map((r) => r.refTimers))),
      ]
    })
    const checks: TargetCheck[] = subjects.slice(0, 2).map((subject, i) => {
      const rs = readings[i]!
      const bytes = median(rs.map((r) => r.bytes))
      const timerCount = median(rs.map((r) => r.timers))
      return {
        label: `memory ≤ ${TARGET_BYTES} B per idle breaker, no timers (${subject.name.replace(`${LIBRARIES.tripswitch} `, '')})`,
        actual: `${formatInt(bytes)} B, ${formatInt(timerCount)} timers`,
        pass: bytes <= TARGET_BYTES && timerCount === 0,
      }
    })
    return {
      tables: [
        {
          title: `4. ${formatInt(BREAKERS)} idle breakers held alive (median of ${REPEATS})`,
          head: [
            'contender',
            'heap B/breaker',
            `timers (all ${formatInt(BREAKERS)})`,
            "of which ref'd",
          ],
          rows,
          note: "timers = live Timeout objects (async hook), unref'd included; ref'd = in getActiveResourcesInfo(). opossum breakers are shut down afterwards.",
        },
      ],
      checks,
    }
  },
}
