import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { afterEach, expect, it } from 'vitest'
import { close, listen } from '../src/listen.ts'

const WORKSPACE = new URL('..', import.meta.url).pathname
// What `npm run offer-service` runs (tsx with the source condition), without npm in between,
// so that the signal reaches the service itself.
const NODE_ARGS = ['--conditions=@tripswitch/source', '--import', 'tsx', 'src/main.ts']
const START_TIMEOUT_MS = 15_000

interface Running {
  readonly child: ChildProcess
  /** Everything written to stdout so far. */
  stdout(): string
  stderr(): string
  /** Resolves with the first match of `pattern` in stdout, waiting for more output if needed. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  exited: Promise<number | null>
}

let running: Running | undefined
afterEach(() => {
  if (running?.child.exitCode === null) running.child.kill('SIGKILL')
  running = undefined
})

function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, NODE_ARGS, {
    cwd: WORKSPACE,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = pattern.exec(out)
          if (match !== null) resolve(match)
          return match !== null
        }
        if (check()) return
        const onData = () => {
          if (check()) child.stdout!.off('data', onData)
        }
        child.stdout!.on('data', onData)
        exited.then((code) =>
          reject(new Error(`exited (${code}) before ${pattern}:\n${out}\n${err}`)),
        )
      }),
  }
}

async function json(url: string, method = 'GET'): Promise<unknown> {
  return (await fetch(url, { method })).json()
}

it(
  'walks the README: hot offer, partner switched to 500, 3 failures open the circuit, cold offer',
  async () => {
    running = start({ PORT: '0', PARTNER_PORT: '0' })
    const [, partnerUrl] = await running.waitFor(/\[partner\] listening on (http:\/\/\S+),/)
    const [, offerUrl] = await running.waitFor(/\[offer\] listening on (http:\/\/\S+) /)

    expect(await json(`${offerUrl}/offer`)).toMatchObject({ offer: 'hot', source: 'partner' })
    expect(await json(`${partnerUrl}/partner/fail`, 'POST')).toMatchObject({ failing: true })
    for (let i = 0; i < 3; i++)
      expect(await json(`${offerUrl}/offer`)).toMatchObject({
        offer: 'cold',
        reason: 'partner answered 500',
      })
    expect(await json(`${offerUrl}/offer/circuit`)).toEqual({
      current_state: 'open',
      fail_counter: 3,
    })
    expect(await json(`${offerUrl}/offer`)).toMatchObject({
      offer: 'cold',
      source: 'fallback',
      reason: expect.stringMatching(/^circuit open, probe in 1[45] s$/),
    })
    expect(await json(`${partnerUrl}/partner`)).toEqual({ failing: true, offerRequests: 4 })

    await running.waitFor(/\[circuit partner\] reject: /)
    expect(running.stdout()).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z \[circuit partner\] stateChange: closed -> open$/m,
    )

    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
    expect(running.stderr()).not.toMatch(/error/i)
  },
  START_TIMEOUT_MS * 2,
)

it(
  'exits with code 1 and names the variable when an environment value is bad',
  async () => {
    running = start({ PORT: 'eighty' })
    expect(await running.exited).toBe(1)
    expect(running.stderr()).toContain(
      'offer-service: Invalid PORT: expected an integer from 0 to 65535, got "eighty"',
    )
    expect(running.stdout()).not.toContain('listening')
  },
  START_TIMEOUT_MS,
)

it(
  'exits with code 1 and one clear line when a port is taken',
  async () => {
    const blocker = createServer()
    const taken = new URL(await listen(blocker, 0)).port
    try {
      running = start({ PORT: '0', PARTNER_PORT: taken })
      expect(await running.exited).toBe(1)
      expect(running.stderr()).toMatch(new RegExp(`^offer-service: .*EADDRINUSE.*:${taken}\\n$`))
    } finally {
      await close(blocker)
    }
  },
  START_TIMEOUT_MS,
)
