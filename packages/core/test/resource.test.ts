import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { useManyBreakers, type WorkloadReport } from './support/many-breakers.ts'
import { trackingClock } from './support/timers.ts'

/**
 * Resources: the core keeps no timer of its own (open -> half-open is decided when the breaker
 * is asked), so 10,000 breakers through a registry plus 10,000 standalone, each used with
 * successes, failures and an ignored permit, some tripping open, some with a per-call timeout,
 * must leave no call in flight and nothing that holds the process (a timed breaker's one timer
 * is unref'd once its calls are done), and a process holding them must exit on its own.
 */

const COUNT = 10_000
const CORE_DIR = fileURLToPath(new URL('..', import.meta.url))
const CHILD = fileURLToPath(new URL('./support/resource-child.ts', import.meta.url))
const EXIT_DEADLINE_MS = 20_000
// The child's own stdio pipes are the only handles it may hold when it reports.
const STDIO = new Set(['PipeWrap', 'TTYWrap'])

interface ChildReport {
  report: WorkloadReport
  timers: { pending: number; scheduled: number; held: number }
  resources: string[]
}

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  /** True when the child had to be killed: it did not exit on its own in time. */
  killed: boolean
  stdout: string
  stderr: string
  elapsedMs: number
}

/** Runs the fixture; kills it past the deadline, or as soon as it reports when `stopAfterReport`. */
function runChild(args: string[], stopAfterReport = false): Promise<ChildRun> {
  const { NODE_OPTIONS: _ignored, ...env } = process.env
  const started = performance.now()
  const child = spawn(
    process.execPath,
    ['--conditions=@tripswitch/source', '--import', 'tsx', CHILD, ...args],
    { cwd: CORE_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  let killed = false
  const kill = () => {
    killed = true
    child.kill('SIGKILL')
  }
  const deadline = setTimeout(kill, EXIT_DEADLINE_MS)
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (stopAfterReport && stdout.includes('\n')) kill()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(deadline)
      resolve({ code, signal, killed, stdout, stderr, elapsedMs: performance.now() - started })
    })
  })
}

function parseReport(run: ChildRun): ChildReport {
  const line = run.stdout.trim().split('\n').at(-1)
  if (line === undefined || line === '') {
    throw new Error(`the child printed no report (code ${run.code}); stderr:\n${run.stderr}`)
  }
  return JSON.parse(line) as ChildReport
}

function expectWorkloadDone(report: WorkloadReport): void {
  expect(report.breakers).toBe(2 * COUNT)
  expect(report.registrySize).toBe(COUNT)
  expect(report.busy).toBe(0)
  expect(report.wrongState).toBe(0)
  expect(report.rejected).toBe(report.expectedRejected)
  expect(report.timedOut).toBe(report.expectedTimedOut)
  // The workload really did trip breakers and time calls out.
  expect(report.registryOpen).toBeGreaterThan(0)
  expect(report.timedOut).toBeGreaterThan(0)
  expect(report.states.open).toBeGreaterThan(0)
  expect(report.states.closed).toBeGreaterThan(0)
}

describe('resources held by many breakers', () => {
  it('in process: every call settles; at most one timeout timer per breaker outlives its calls, holding nothing', {
    timeout: 60_000,
  }, async () => {
    const clock = trackingClock()
    const { report, breakers, registry } = await useManyBreakers(COUNT, clock)
    expectWorkloadDone(report)
    expect(breakers).toHaveLength(2 * COUNT)
    expect(breakers.filter((b) => b.activeCalls !== 0).map((b) => b.name)).toEqual([])
    expect(breakers.filter((b) => b.snapshot().activeCalls !== 0).map((b) => b.name)).toEqual([])
    expect(registry.list().every((b) => b.activeCalls === 0)).toBe(true)
    // Timeouts went through the injected clock. A breaker times its calls out on one timer,
    // which may outlive them by up to the timeout, unref'd: nothing holds the process.
    expect(clock.scheduled).toBeGreaterThan(0)
    const timed = breakers.filter((b) => b.settings.timeout !== undefined).length
    expect(clock.pending).toBeLessThanOrEqual(timed)
    expect(clock.held).toBe(0)
  })

  it(`a child process using ${2 * COUNT} breakers holds no timer or handle that keeps it alive, and exits on its own`, {
    timeout: 60_000,
  }, async () => {
    const run = await runChild([String(COUNT)])
    expect(run.killed, `still running after ${EXIT_DEADLINE_MS} ms; stderr:\n${run.stderr}`).toBe(
      false,
    )
    expect(run.signal).toBeNull()
    expect(run.code, run.stderr).toBe(0)
    const { report, timers, resources } = parseReport(run)
    expectWorkloadDone(report)
    expect(timers.scheduled).toBeGreaterThan(0)
    expect(timers.pending).toBeLessThanOrEqual(2 * COUNT)
    expect(timers.held).toBe(0)
    expect(resources.filter((type) => !STDIO.has(type))).toEqual([])
  })

  it('the child detects a timer left behind (control for the test above)', {
    timeout: 60_000,
  }, async () => {
    const run = await runChild(['100', 'leak'], true)
    const { timers, resources } = parseReport(run)
    expect(timers.held).toBe(1)
    expect(resources.filter((type) => !STDIO.has(type))).toEqual(['Timeout'])
  })
})
