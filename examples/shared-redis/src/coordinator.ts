import { randomBytes } from 'node:crypto'
import type { ScenarioConfig } from './config.ts'
import { type FleetDashboard, type FleetSeen, serveFleetDashboard } from './dashboard.ts'
import { forkWorkers } from './fleet.ts'
import type { WorkerSettings } from './messages.ts'
import { watchRedis } from './redis-channel.ts'
import { type PrivateRedis, startPrivateRedis } from './redis-server.ts'
import { type Report, summarize } from './report.ts'
import { everyWorker, Timeline, type TimelineEntry } from './timeline.ts'
import { type FlakyUpstream, startFlakyUpstream } from './upstream.ts'

/** A finished run: its history and what it showed. */
export interface ScenarioResult {
  readonly startedAt: number
  readonly entries: readonly TimelineEntry[]
  readonly report: Report
  /** What the dashboard's fleet view showed while every worker was closed and succeeding. */
  readonly fleet: readonly FleetSeen[]
}

// Generous: forking N TypeScript processes on a busy 2-core machine takes seconds.
const STARTUP_TIMEOUT_MS = 30_000
const STEP_TIMEOUT_MS = 10_000

/**
 * The scenario: N workers share one breaker through Redis; the upstream is killed, the fleet
 * opens together, one probe runs after recoveryMs, and the fleet closes together.
 * `progress` gets one line per step as it happens.
 */
export async function runScenario(
  config: ScenarioConfig,
  progress: (line: string) => void,
): Promise<ScenarioResult> {
  let privateRedis: PrivateRedis | null = null
  if (config.redisUrl === undefined) {
    privateRedis = await startPrivateRedis()
    progress(`started a private redis-server at ${privateRedis.url}`)
  }
  try {
    return await runAgainst(config.redisUrl ?? privateRedis!.url, config, progress)
  } finally {
    await privateRedis?.stop()
  }
}

async function runAgainst(
  redisUrl: string,
  config: ScenarioConfig,
  progress: (line: string) => void,
): Promise<ScenarioResult> {
  const timeline = new Timeline()
  // A prefix of its own per run: runs sharing a Redis never see each other's breaker.
  const prefix = `example-shared-redis:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`
  // First, so an unreachable Redis ends the run before anything else is started.
  const watch = await watchRedis(redisUrl, prefix, (entry) => timeline.add(entry))
  const dashboard = await serveFleetDashboard(redisUrl, prefix)
  progress(`dashboard (the fleet's circuits, from Redis): ${dashboard.url}`)
  let fleet: readonly FleetSeen[] = []
  try {
    const upstream = await startFlakyUpstream(config.coldStartMs)
    try {
      const settings = Array.from(
        { length: config.workers },
        (_, i): WorkerSettings => ({
          worker: i + 1,
          redisUrl,
          prefix,
          breakerName: 'upstream',
          upstreamUrl: upstream.url,
          recoveryMs: config.recoveryMs,
          callIntervalMs: config.callIntervalMs,
        }),
      )
      fleet = await driveFleet(timeline, upstream, settings, config, dashboard, (text) => {
        timeline.note(text)
        progress(text)
      })
    } finally {
      await upstream.kill()
    }
    const { entries, startedAt } = timeline
    const report = summarize(entries, startedAt, config.workers, upstream.hits)
    return { startedAt, entries, report, fleet }
  } finally {
    await dashboard.close()
    await watch.close()
  }
}

/**
 * Forks the workers and takes them through the scenario's steps; stops them in any case.
 * Resolves with what the dashboard's fleet view showed once every worker was up.
 */
async function driveFleet(
  timeline: Timeline,
  upstream: FlakyUpstream,
  settings: readonly WorkerSettings[],
  config: ScenarioConfig,
  dashboard: FleetDashboard,
  step: (text: string) => void,
): Promise<readonly FleetSeen[]> {
  const { workers } = config
  step(
    `upstream on ${upstream.url}; forking ${workers} workers (Redis prefix ${settings[0]!.prefix})`,
  )
  const fleet = forkWorkers(
    settings,
    (message) => timeline.add(message),
    (error) => timeline.fail(error),
  )
  const allWorkers = (what: string, match: (e: TimelineEntry) => boolean, count = 1) =>
    timeline.until((entries) => everyWorker(entries, workers, match, count), what, STEP_TIMEOUT_MS)
  try {
    await timeline.until(
      (entries) => everyWorker(entries, workers, (e) => e.type === 'ready'),
      `${workers} workers to connect to Redis`,
      STARTUP_TIMEOUT_MS,
    )
    await allWorkers('two successful calls per worker', isSuccess, 2)
    const fleet = await fleetOfAll(dashboard, workers)
    step('every worker is closed and succeeding; killing the upstream')
    await upstream.kill()
    await allWorkers('every worker to see the circuit open', isStateTo('open'))
    // Back before the recovery timeout ends, so the single probe finds it up and closes.
    await upstream.restart()
    step(
      `every worker is open; upstream restarted, the probe is due ${config.recoveryMs} ms after the trip`,
    )
    await timeline.until(
      (entries) => everyWorker(entries, workers, isStateTo('closed')),
      'every worker to see the circuit close',
      config.recoveryMs + STEP_TIMEOUT_MS,
    )
    step('every worker is closed again; waiting for one more success each')
    await timeline.until(
      (entries) => everyWorkerSucceededAfterClosing(entries, workers),
      'a success per worker after closing',
      STEP_TIMEOUT_MS,
    )
    step('stopping the workers')
    return fleet
  } finally {
    await fleet.stop()
  }
}

const isSuccess = (e: TimelineEntry) => e.type === 'call' && e.outcome === 'success'
const isStateTo = (to: string) => (e: TimelineEntry) => e.type === 'state' && e.to === to

function everyWorkerSucceededAfterClosing(entries: readonly TimelineEntry[], workers: number) {
  const closedAt = new Map<number, number>()
  for (const e of entries) if (e.type === 'state' && e.to === 'closed') closedAt.set(e.worker, e.at)
  return everyWorker(entries, workers, (e) => {
    if (!isSuccess(e) || !('worker' in e)) return false
    const closed = closedAt.get(e.worker)
    return closed !== undefined && e.at > closed
  })
}

/**
 * What the dashboard's fleet view shows once it lists every worker, or after 5 s whatever it
 * shows (the run then reports the gap): a worker's membership is written just after its first
 * call, and the page reads the fleet at most once a second.
 */
async function fleetOfAll(
  dashboard: FleetDashboard,
  workers: number,
): Promise<readonly FleetSeen[]> {
  const deadline = Date.now() + 5_000
  for (;;) {
    const fleet = await dashboard.fleet()
    const listed = fleet.find((entry) => entry.name === 'upstream')?.instances.length ?? 0
    if (listed === workers || Date.now() > deadline) return fleet
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
