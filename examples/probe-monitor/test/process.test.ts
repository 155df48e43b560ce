import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { startUpstream } from '../src/upstream.ts'
import { type MonitorProcess, spawnMonitor } from './support/spawn-monitor.ts'

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const TIMESTAMP = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`

const running: MonitorProcess[] = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  // A failed test must not leave a monitor running.
  for (const monitor of running.splice(0)) if (monitor.child.exitCode === null) monitor.child.kill()
  for (const close of closers.splice(0)) await close()
})

function start(env: Record<string, string>): MonitorProcess {
  const monitor = spawnMonitor(env)
  running.push(monitor)
  return monitor
}

describe('probe-monitor as a real process', { timeout: 30_000 }, () => {
  it('opens on a failing HTTP_CLIENT, closes when it recovers, and exits 0 on SIGTERM', async () => {
    const status = { current: 500 }
    const upstream = await startUpstream(() => status.current)
    closers.push(() => upstream.close())
    const monitor = start({ HTTP_CLIENT: upstream.hostPort, TIME_WINDOW: '0.05' })

    const opened = await monitor.waitForLine(/Circuit changed from closed to open$/)
    expect(opened).toMatch(new RegExp(`^${TIMESTAMP} WARNING Circuit changed from closed to open$`))
    expect(upstream.hits).toBeGreaterThanOrEqual(3)
    await monitor.waitForLine(/INFO Probe \d+: not sent, circuit open/)

    status.current = 200
    await monitor.waitForLine(/INFO Circuit changed from half_open to closed$/)
    await monitor.waitForLine(
      /INFO Probe \d+: HTTP 200 OK in \d+ ms, counted as success; circuit closed$/,
    )

    monitor.child.kill('SIGTERM')
    expect(await monitor.exited).toBe(0)
    expect(monitor.stdout()).toMatch(/INFO SIGTERM received, stopping\n.* INFO Stopped\n$/)
    expect(monitor.stderr()).toBe('')
  })

  it('without HTTP_CLIENT starts its own flaky upstream, shows it trip and recover, exits 0 on SIGINT', async () => {
    const monitor = start({ TIME_WINDOW: '0.02' })
    const started = await monitor.waitForLine(/HTTP_CLIENT is not set/)
    expect(started).toMatch(
      /started a flaky upstream on 127\.0\.0\.1:\d+ answering 3 × 200, 4 × 500/,
    )
    await monitor.waitForLine(/WARNING Circuit changed from closed to open$/)
    await monitor.waitForLine(/INFO Circuit changed from half_open to closed$/)

    monitor.child.kill('SIGINT')
    expect(await monitor.exited).toBe(0)
    expect(monitor.stdout()).toContain('INFO Stopped')
  })

  it('rejects bad variables with exit code 1 and a message naming each, printing nothing else', async () => {
    const monitor = start({ ERROR_THRESHOLD: '0', ACCEPT_CLIENT_ERRORS: 'maybe' })
    expect(await monitor.exited).toBe(1)
    expect(monitor.stdout()).toBe('')
    expect(monitor.stderr()).toBe(
      [
        'probe-monitor: Invalid environment:',
        '  - ERROR_THRESHOLD=0 is rejected by @tripswitch/core: Option "errorThreshold" must be an integer >= 1, but was 0',
        '  - ACCEPT_CLIENT_ERRORS must be True or False (any case), but was "maybe"',
        '',
      ].join('\n'),
    )
  })

  it('runs through `npm run probe-monitor` from the repository root', async () => {
    const monitor = spawnMonitor(
      { LOG_LEVEL: 'chatty' },
      { file: 'npm', args: ['run', '--silent', 'probe-monitor'], cwd: REPO_ROOT },
    )
    running.push(monitor)
    expect(await monitor.exited).toBe(1)
    expect(monitor.stderr()).toContain(
      'LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR (any case), but was "chatty"',
    )
  })
})
