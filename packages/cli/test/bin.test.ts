import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { CircuitBreaker } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../src/index.ts'
import { AdminServer } from './admin-server.ts'
import { ESC, HOSTILE, REDIS_URL, uniquePrefix, until } from './helpers.ts'

// The bin as a user runs it: a separate node process (the source entry through tsx, as the
// examples run), its exit code, its streams, and Ctrl-C (SIGINT) during watch.

const root = join(import.meta.dirname, '..')

interface Spawned {
  readonly child: ChildProcess
  stdout: string
  stderr: string
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function tripswitch(args: readonly string[]): Spawned {
  const child = spawn(
    process.execPath,
    ['--conditions=@tripswitch/source', '--import', 'tsx', 'src/cli.ts', ...args],
    {
      cwd: root,
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NO_COLOR')),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const run: Spawned = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  }
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    run.stdout += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderr += chunk
  })
  return run
}

async function finished(args: readonly string[]) {
  const run = tripswitch(args)
  const { code } = await run.exit
  return { code, stdout: run.stdout, stderr: run.stderr }
}

const prefix = uniquePrefix()
let client: Redis
let store: RedisStore
let breakers: CircuitBreaker[]

beforeAll(async () => {
  client = new Redis(REDIS_URL, { lazyConnect: true })
  await client.connect()
  store = new RedisStore({ client, prefix, pollInterval: 200, syncInterval: 50 })
  breakers = ['checkout', HOSTILE].map((name) => new CircuitBreaker({ name, store }))
})

afterAll(() => {
  for (const breaker of breakers) breaker.dispose()
  store.close()
  client.disconnect()
})

// Each spawn compiles the sources through tsx: seconds on a loaded machine.
describe('the tripswitch bin', { timeout: 60_000 }, () => {
  it('prints its version and help, exit 0', async () => {
    expect(await finished(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' })
    const help = await finished(['watch', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: tripswitch watch')
  })

  it('exits 2 on a usage error and 1 on an unreachable Redis, one line each, no stack', async () => {
    const usage = await finished(['ls', '--redis', REDIS_URL, '--url', 'http://127.0.0.1/'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('not both')
    const down = await finished(['ls', '--redis', 'redis://127.0.0.1:9'])
    expect(down.code).toBe(1)
    expect(down.stdout).toBe('')
    expect(down.stderr).toBe(
      'tripswitch: cannot reach Redis at redis://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9\n',
    )
  })

  it('lists the fleet into a pipe: a table without colour, the hostile name escaped', async () => {
    const deadline = Date.now() + 5_000
    let run = await finished(['ls', '--redis', REDIS_URL, '--prefix', prefix])
    while (!run.stdout.includes('checkout') && Date.now() < deadline)
      run = await finished(['ls', '--redis', REDIS_URL, '--prefix', prefix])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^checkout\s+closed/m)
    expect(run.stdout).toContain('\\x1b[2J')
    expect(run.stdout).not.toContain(ESC)
  })

  it('watches over Redis until SIGINT, then exits 0', async () => {
    const run = tripswitch(['watch', '--redis', REDIS_URL, '--prefix', prefix])
    await until(() => run.stdout.includes('checkout'), 30_000)
    breakers[0]!.forceOpen()
    await until(() => run.stdout.includes('closed -> forced_open'), 30_000)
    run.child.kill('SIGINT')
    expect(await run.exit).toEqual({ code: 0, signal: null })
    expect(run.stderr).toBe('')
    breakers[0]!.reset()
  })

  it('watches an admin API until SIGINT, then exits 0 and leaves the stream', async () => {
    const admin = await AdminServer.start()
    try {
      admin.circuits = [{ name: 'search', state: 'closed' }]
      const run = tripswitch(['watch', '--json', '--url', admin.url])
      await until(() => run.stdout.includes('"name":"search"'), 30_000)
      run.child.kill('SIGINT')
      expect(await run.exit).toEqual({ code: 0, signal: null })
      await until(() => admin.watchers === 0)
    } finally {
      await admin.close()
    }
  })
})
