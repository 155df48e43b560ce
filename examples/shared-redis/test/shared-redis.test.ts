import { describe, expect, it } from 'vitest'
import type { FleetSeen } from '../src/dashboard.ts'
import type { Report } from '../src/report.ts'
import { runMain } from './run-main.ts'

const WORKERS = 3

/** Each worker's transitions, in the order the printed timeline shows them. */
function transitionsByWorker(stdout: string): Map<number, string[]> {
  const byWorker = new Map<number, string[]>()
  for (const match of stdout.matchAll(/ms {2}worker (\d+) +(\w+ -> \w+)$/gm)) {
    const worker = Number(match[1])
    byWorker.set(worker, [...(byWorker.get(worker) ?? []), match[2]!])
  }
  return byWorker
}

describe('npm run shared-redis', () => {
  it('opens every worker together, admits one probe fleet-wide, and closes them together', async () => {
    // Short timings, and REDIS_URL unset so the example starts its own redis-server.
    const run = await runMain(
      {
        REDIS_URL: undefined,
        WORKERS: String(WORKERS),
        RECOVERY_MS: '1000',
        CALL_INTERVAL_MS: '50',
        COLD_START_MS: '200',
      },
      ['--json'],
    )
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const { report, fleet, problems } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      report: Report
      fleet: FleetSeen[]
      problems: string[]
    }
    expect(problems).toEqual([])
    // The coordinator holds no breaker: its dashboard shows the workers' circuit from Redis.
    expect(fleet).toEqual([
      { name: 'upstream', state: 'closed', instances: ['worker-1', 'worker-2', 'worker-3'] },
    ])
    expect(run.stdout).toMatch(
      /dashboard \(the fleet's circuits, from Redis\): http:\/\/127\.0\.0\.1:\d+\/circuits\//,
    )

    // Every worker went closed -> open -> half_open -> closed, exactly once each.
    const expected = ['closed -> open', 'open -> half_open', 'half_open -> closed']
    const seen = transitionsByWorker(run.stdout)
    expect([...seen.keys()].sort()).toEqual([1, 2, 3])
    for (const transitions of seen.values()) expect(transitions).toEqual(expected)

    // One trip in Redis, seen by all within a bound that only broken propagation exceeds
    // (pub/sub takes about a millisecond; the workers call every 50 ms).
    expect(report.published).toEqual({ open: 1, half_open: 1, closed: 1 })
    for (const t of report.transitions) {
      expect(t.workers).toBe(WORKERS)
      expect(t.spreadMs).toBeLessThan(1_000)
    }
    // A single probe fleet-wide, and it found the upstream back.
    expect(report.probes).toHaveLength(1)
    expect(report.probes[0]!.ok).toBe(true)
    // Nothing reached the upstream while open; at most one call per worker left before it
    // learned of the trip (the upstream was dead then).
    expect(report.upstreamHitsWhileOpen).toBe(0)
    expect(report.callsSentWhileOpen).toBeLessThanOrEqual(WORKERS)
    expect(run.stdout).toContain('OK: one trip in Redis')
  }, 30_000)

  it.each([
    ['abc', 'WORKERS must be an integer from 2 to 16, but was "abc"'],
    ['1', 'WORKERS must be an integer from 2 to 16, but was "1"'],
  ])(
    'refuses WORKERS=%s with a clear message and exit code 1',
    async (workers, message) => {
      const run = await runMain({ WORKERS: workers })
      expect(run.code).toBe(1)
      expect(run.stderr.trim()).toBe(`shared-redis: ${message}`)
      expect(run.stdout).toBe('')
    },
    15_000,
  )

  it('names the Redis it cannot reach and exits 1 instead of retrying forever', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const run = await runMain({ REDIS_URL: 'redis://127.0.0.1:1' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('shared-redis: cannot reach Redis at redis://127.0.0.1:1 (')
  }, 15_000)

  it('says how to get Redis when redis-server is missing and REDIS_URL is unset', async () => {
    const run = await runMain({ REDIS_URL: undefined, PATH: '/nonexistent' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('redis-server is not installed')
    expect(run.stderr).toContain('REDIS_URL=redis://127.0.0.1:6379 npm run shared-redis')
  }, 15_000)
})
