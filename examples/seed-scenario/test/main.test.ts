import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { VARIANT_NAMES } from '../src/variants.ts'

const WORKSPACE = resolve(import.meta.dirname, '..')
const REPO_ROOT = resolve(WORKSPACE, '../..')

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly elapsedMs: number
}

/**
 * Runs a real process to its end and collects what it printed; `onOutput` sees stdout so far
 * each time more arrives (to act on a line while the process still runs).
 */
function run(
  command: string,
  args: string[],
  cwd: string,
  onOutput?: (stdout: string) => void,
): Promise<Finished> {
  const started = Date.now()
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      onOutput?.(stdout)
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', fail)
    child.once('close', (code) => done({ code, stdout, stderr, elapsedMs: Date.now() - started }))
  })
}

describe('the command line', () => {
  // The one test on the real clock: it really waits the 6 s, as a user of `npm run demo` does.
  it('npm run demo runs the axios variant to the end and exits by itself', async () => {
    // The dashboard URL it prints must serve the page and list the circuit while it runs.
    let visit: Promise<{ page: number; circuits: unknown }> | undefined
    const { code, stdout, elapsedMs } = await run('npm', ['run', 'demo'], REPO_ROOT, (out) => {
      const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/circuits\/) /.exec(out)?.[1]
      if (url !== undefined && visit === undefined) visit = visitDashboard(url)
    })
    expect(code).toBe(0)
    expect(visit).toBeDefined()
    const seen = await visit
    expect(seen?.page).toBe(200)
    expect(seen?.circuits).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)])
    expect(elapsedMs).toBeGreaterThanOrEqual(6_000)
    expect(stdout).toContain('@tripswitch/axios: attachCircuitBreaker on an axios instance')
    const calls = stdout.split('\n').filter((line) => /^call \d+ /.test(line))
    expect(calls).toHaveLength(15)
    // On the real clock a few milliseconds pass between the trip and the print.
    expect(calls[2]).toMatch(/^call 3 .*circuit state: open\. Time till probe: (6\.0|5\.\d)$/)
    expect(calls[3]).toMatch(/^call 4 .*refused.*ERR_CIRCUIT_OPEN.*circuit state: open\./)
    expect(calls[4]).toMatch(/^call 5 .*succeeded.*circuit state: closed\. Time till probe: 0\.0$/)
    expect(stdout).toContain('the upstream received 14 requests')
  }, 30_000)

  it('refuses an unknown adapter, naming the choices, with exit code 1', async () => {
    const args = ['--conditions=@tripswitch/source', '--import', 'tsx', 'src/main.ts', 'grpc']
    const { code, stdout, stderr } = await run(process.execPath, args, WORKSPACE)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('Unknown adapter "grpc". Choose one of:')
    for (const name of VARIANT_NAMES) expect(stderr).toContain(name)
  }, 15_000)
})

/** Loads the page and the circuit list from a running demo's dashboard. */
async function visitDashboard(url: string): Promise<{ page: number; circuits: unknown }> {
  const page = await fetch(url)
  await page.body?.cancel()
  const api = await fetch(new URL('api/circuits', url))
  const state = (await api.json()) as { circuits: Array<{ name: string }> }
  return { page: page.status, circuits: state.circuits.map((circuit) => circuit.name) }
}
