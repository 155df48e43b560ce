import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeClock } from '@tripswitch/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { readConfig } from '../src/config.ts'
import { createLogger } from '../src/log.ts'
import { createMonitor, type Monitor } from '../src/monitor.ts'
import { startUpstream } from '../src/upstream.ts'

const START = Date.parse('2026-11-24T10:00:00.000Z')
const WINDOW_MS = 50

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A real upstream answering `status.current`, and a monitor of it on a FakeClock. */
async function setUp(env: Record<string, string> = {}) {
  const status = { current: 500 }
  const upstream = await startUpstream(() => status.current)
  cleanups.push(() => upstream.close())
  const config = readConfig({ HTTP_CLIENT: upstream.hostPort, TIME_WINDOW: '0.05', ...env })
  const clock = new FakeClock(START)
  const lines: string[] = []
  const log = createLogger({ level: config.logLevel, clock, write: (line) => lines.push(line) })
  const monitor = createMonitor({ target: upstream.hostPort, settings: config, clock, log })
  cleanups.push(() => monitor.close())
  /** Probes, then lets one TIME_WINDOW pass, as main's loop does. */
  const probe = async () => {
    const result = await monitor.probeOnce()
    clock.advance(WINDOW_MS)
    return result
  }
  return { status, upstream, monitor, lines, probe }
}

function transitions(lines: readonly string[]): string[] {
  return lines.flatMap((line) => /Circuit changed from (\S+) to (\S+)$/.exec(line)?.[0] ?? [])
}

describe('monitor against a real upstream, on a fake clock', () => {
  it('opens after ERROR_THRESHOLD failed probes, refuses one, then closes when the upstream recovers', async () => {
    const { status, upstream, lines, probe } = await setUp()

    expect(await probe()).toMatchObject({ kind: 'answered', status: 500, counted: 'failure' })
    expect(await probe()).toMatchObject({ counted: 'failure', state: 'closed' })
    expect(await probe()).toMatchObject({ counted: 'failure', state: 'open' })
    expect(lines).toContain('2026-11-24T10:00:00.100Z WARNING Circuit changed from closed to open')

    expect(await probe()).toEqual({ kind: 'refused', retryAfterMs: WINDOW_MS, state: 'open' })
    expect(upstream.hits).toBe(3)

    status.current = 200
    expect(await probe()).toMatchObject({ kind: 'answered', status: 200, state: 'closed' })
    expect(transitions(lines)).toEqual([
      'Circuit changed from closed to open',
      'Circuit changed from open to half_open',
      'Circuit changed from half_open to closed',
    ])
    expect(lines).toEqual([
      '2026-11-24T10:00:00.000Z INFO Probe 1: HTTP 500 Internal Server Error in 0 ms, counted as failure; circuit closed',
      '2026-11-24T10:00:00.050Z INFO Probe 2: HTTP 500 Internal Server Error in 0 ms, counted as failure; circuit closed',
      '2026-11-24T10:00:00.100Z WARNING Circuit changed from closed to open',
      '2026-11-24T10:00:00.100Z INFO Probe 3: HTTP 500 Internal Server Error in 0 ms, counted as failure; circuit open',
      '2026-11-24T10:00:00.150Z INFO Probe 4: not sent, circuit open (trial probe in 50 ms)',
      '2026-11-24T10:00:00.200Z INFO Circuit changed from open to half_open',
      '2026-11-24T10:00:00.200Z INFO Circuit changed from half_open to closed',
      '2026-11-24T10:00:00.200Z INFO Probe 5: HTTP 200 OK in 0 ms, counted as success; circuit closed',
    ])
  })

  it('reopens when the trial probe fails', async () => {
    const { lines, probe } = await setUp({ ERROR_THRESHOLD: '1' })
    await probe() // opens
    await probe() // refused
    expect(await probe()).toMatchObject({ counted: 'failure', state: 'open' })
    expect(transitions(lines)).toEqual([
      'Circuit changed from closed to open',
      'Circuit changed from open to half_open',
      'Circuit changed from half_open to open',
    ])
  })

  it('counts a 404 as a failure by default', async () => {
    const { status, lines, probe } = await setUp()
    status.current = 404
    for (let i = 0; i < 3; i++) expect(await probe()).toMatchObject({ counted: 'failure' })
    expect(transitions(lines)).toEqual(['Circuit changed from closed to open'])
  })

  it('counts a 404 as a success with ACCEPT_CLIENT_ERRORS=True, but still a 500 as a failure', async () => {
    const { status, monitor, lines, probe } = await setUp({ ACCEPT_CLIENT_ERRORS: 'True' })
    status.current = 404
    for (let i = 0; i < 5; i++) expect(await probe()).toMatchObject({ counted: 'success' })
    expect(monitor.breaker.state).toBe('closed')
    status.current = 500
    for (let i = 0; i < 3; i++) expect(await probe()).toMatchObject({ counted: 'failure' })
    expect(transitions(lines)).toEqual(['Circuit changed from closed to open'])
  })

  it('with LOG_LEVEL=WARNING prints only the opening, not the per-probe INFO lines', async () => {
    const { status, lines, probe } = await setUp({ LOG_LEVEL: 'WARNING' })
    for (let i = 0; i < 4; i++) await probe()
    status.current = 200
    expect(await probe()).toMatchObject({ state: 'closed' })
    expect(lines).toEqual(['2026-11-24T10:00:00.100Z WARNING Circuit changed from closed to open'])
  })

  it('with LOG_LEVEL=DEBUG also prints each request before it is sent', async () => {
    const { monitor, lines, probe } = await setUp({ LOG_LEVEL: 'DEBUG' })
    await probe()
    expect(lines[0]).toBe(`2026-11-24T10:00:00.000Z DEBUG Probe 1: GET ${monitor.url}`)
    expect(lines[1]).toContain('INFO Probe 1: HTTP 500')
  })
})

describe('monitor without an answer', () => {
  it('counts a refused connection as a failure', async () => {
    const closed = await startUpstream(() => 200)
    await closed.close()
    const clock = new FakeClock(START)
    const lines: string[] = []
    const log = createLogger({ level: 'INFO', clock, write: (line) => lines.push(line) })
    const settings = readConfig({ HTTP_CLIENT: closed.hostPort, ERROR_THRESHOLD: '1' })
    const monitor = createMonitor({ target: closed.hostPort, settings, clock, log })
    cleanups.push(() => monitor.close())

    const result = await monitor.probeOnce()
    expect(result).toMatchObject({ kind: 'no-answer', counted: 'failure', state: 'open' })
    expect(lines.at(-1)).toMatch(/INFO Probe 1: no answer \(.*ECONNREFUSED.*\) after 0 ms/)
  })

  it('cancels a probe in flight on close(), counting nothing', async () => {
    const hanging = createServer(() => {}) // never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () => new Promise<void>((resolve) => hanging.close(() => resolve())),
      () => hanging.closeAllConnections(),
    )
    const target = `127.0.0.1:${(hanging.address() as AddressInfo).port}`
    const received = new Promise<void>((resolve) => hanging.once('request', () => resolve()))
    const lines: string[] = []
    const clock = new FakeClock(START)
    const log = createLogger({ level: 'DEBUG', clock, write: (line) => lines.push(line) })
    const monitor: Monitor = createMonitor({
      target,
      settings: readConfig({ HTTP_CLIENT: target }),
      clock,
      log,
    })

    const probing = monitor.probeOnce()
    await received
    monitor.close()
    expect(await probing).toEqual({ kind: 'cancelled', state: 'closed' })
    expect(monitor.breaker.snapshot()).toMatchObject({ failures: 0, successes: 0 })
    expect(lines.at(-1)).toBe('2026-11-24T10:00:00.000Z DEBUG Probe 1: cancelled (shutting down)')
  })
})
