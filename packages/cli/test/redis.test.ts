import { createServer } from 'node:net'
import { CircuitBreaker } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { Collector, cli, ESC, HOSTILE, REDIS_URL, uniquePrefix, until } from './helpers.ts'

// Real breakers on a real Redis (127.0.0.1:6379), held by a RedisStore in this process: the
// CLI's own store, built from --redis, must see them, and its actions must reach them.

interface Fleet {
  readonly prefix: string
  readonly store: RedisStore
  readonly breakers: Map<string, CircuitBreaker>
}

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Breakers named `names` on a store with a fresh prefix, listed by the fleet before it returns. */
async function fleetOf(names: readonly string[]): Promise<Fleet> {
  const prefix = uniquePrefix()
  const client = new Redis(REDIS_URL, { lazyConnect: true })
  await client.connect()
  const store = new RedisStore({ client, prefix, pollInterval: 200, syncInterval: 50 })
  const breakers = new Map(
    names.map((name) => [name, new CircuitBreaker({ name, store, errorThreshold: 2 })]),
  )
  cleanups.push(() => {
    for (const breaker of breakers.values()) breaker.dispose()
    store.close()
    client.disconnect()
  })
  const deadline = Date.now() + 5_000
  for (;;) {
    const listed = (await store.fleet()).map((circuit) => circuit.name)
    if (names.every((name) => listed.includes(name))) break
    if (Date.now() > deadline) throw new Error(`the fleet never listed ${names.length} names`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { prefix, store, breakers }
}

const source = (fleet: Fleet) => ['--redis', REDIS_URL, '--prefix', fleet.prefix]

async function failTwice(breaker: CircuitBreaker): Promise<void> {
  for (let i = 0; i < 2; i++)
    await breaker
      .execute(() => {
        throw new Error('upstream down')
      })
      .catch(() => {})
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('ls --redis', () => {
  it('lists every circuit of the fleet as JSON, names exact, with state and instances', async () => {
    const names = ['payments', HOSTILE, '__proto__', 'x'.repeat(256)]
    const fleet = await fleetOf(names)
    await failTwice(fleet.breakers.get('payments')!)
    await until(() => fleet.breakers.get('payments')!.state === 'open')
    const { code, stdout, stderr } = await cli(['ls', '--json', ...source(fleet)])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const rows = JSON.parse(stdout) as {
      name: string
      state: string
      instances: { id: string }[]
    }[]
    expect(rows.map((row) => row.name).sort()).toEqual([...names].sort())
    const payments = rows.find((row) => row.name === 'payments')!
    expect(payments.state).toBe('open')
    expect(payments.instances.map((instance) => instance.id)).toEqual([fleet.store.instanceId])
    expect(rows.find((row) => row.name === HOSTILE)!.state).toBe('closed')
  })

  it('prints a table with escaped names and no colour when stdout is not a terminal', async () => {
    const fleet = await fleetOf(['orders', HOSTILE])
    const { code, stdout } = await cli(['ls', ...source(fleet)])
    expect(code).toBe(0)
    expect(stdout).not.toContain(ESC)
    expect(stdout).toMatch(/^NAME\s+STATE\s+RETRY IN\s+GEN\s+INSTANCES$/m)
    expect(stdout).toMatch(/^orders\s+closed\s+-\s+0\s+1$/m)
    expect(stdout).toContain('\\x1b[2J')
  })

  it('colours states on a terminal, and not with NO_COLOR or --no-color', async () => {
    const fleet = await fleetOf(['orders'])
    expect((await cli(['ls', ...source(fleet)], { tty: true })).stdout).toContain('\x1b[32mclosed')
    const quiet = await cli(['ls', ...source(fleet)], { tty: true, env: { NO_COLOR: '1' } })
    expect(quiet.stdout).toContain('closed')
    expect(quiet.stdout).not.toContain(ESC)
    expect((await cli(['ls', '--no-color', ...source(fleet)], { tty: true })).stdout).not.toContain(
      ESC,
    )
  })

  it('says there is no circuit under another prefix', async () => {
    const { code, stdout } = await cli(['ls', '--redis', REDIS_URL, '--prefix', uniquePrefix()])
    expect(code).toBe(0)
    expect(stdout).toBe('No circuits.\n')
    expect(
      (await cli(['ls', '--json', '--redis', REDIS_URL, '--prefix', uniquePrefix()])).stdout,
    ).toBe('[]\n')
  })

  it('fails with exit 1 and a one-line reason when Redis is unreachable', async () => {
    const port = await closedPort()
    for (const argv of [['ls'], ['watch'], ['open', 'x'], ['open', 'x', '--force']]) {
      const { code, stdout, stderr } = await cli([
        ...argv,
        '--redis',
        `redis://:secret@127.0.0.1:${port}`,
      ])
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr).toBe(
        `tripswitch: cannot reach Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      )
    }
  })
})

describe('actions over --redis', () => {
  it('open, disable, close and reset move the breakers of every instance', async () => {
    const fleet = await fleetOf(['payments'])
    const breaker = fleet.breakers.get('payments')!
    const steps = [
      ['open', 'forced_open'],
      ['disable', 'disabled'],
      ['close', 'closed'],
      ['open', 'forced_open'],
      ['reset', 'closed'],
    ] as const
    for (const [action, state] of steps) {
      const { code, stdout, stderr } = await cli([action, 'payments', ...source(fleet)])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(stdout).toBe(`payments: ${state}\n`)
      await until(() => breaker.state === state)
    }
  })

  it('closes a circuit that tripped for real, and answers JSON with --json', async () => {
    const fleet = await fleetOf(['search'])
    const breaker = fleet.breakers.get('search')!
    await failTwice(breaker)
    await until(() => breaker.state === 'open')
    const { code, stdout } = await cli(['close', 'search', '--json', ...source(fleet)])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ name: 'search', action: 'close', state: 'closed' })
    await until(() => breaker.state === 'closed')
    expect(await breaker.execute(() => 'through')).toBe('through')
  })

  it('acts on a hostile name exactly, and prints it escaped', async () => {
    const fleet = await fleetOf([HOSTILE])
    const { code, stdout } = await cli(['open', ...source(fleet), '--', HOSTILE])
    expect(code).toBe(0)
    expect(stdout).not.toContain(ESC)
    expect(stdout).toContain('forced_open')
    await until(() => fleet.breakers.get(HOSTILE)!.state === 'forced_open')
  })

  it('refuses a circuit Redis does not know (exit 1, nothing written) unless --force', async () => {
    const fleet = await fleetOf(['payments'])
    const refused = await cli(['open', 'paymnets', ...source(fleet)])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('no circuit "paymnets"')
    expect(refused.stderr).toContain('--force')
    expect((await fleet.store.fleet()).map((circuit) => circuit.name)).toEqual(['payments'])
    expect((await fleet.store.read('paymnets')).state).toBe('closed')

    const forced = await cli(['open', 'paymnets', '--force', ...source(fleet)])
    expect(forced.code).toBe(0)
    expect((await fleet.store.read('paymnets')).state).toBe('forced_open')
    expect(fleet.breakers.get('payments')!.state).toBe('closed')
  })
})

describe('watch --redis', () => {
  async function watching(argv: readonly string[], stdout: Collector) {
    const stop = new AbortController()
    const done = cli(argv, { signal: stop.signal, stdout })
    return { stop, done }
  }

  it('prints one JSON line per change until interrupted, then exits 0', async () => {
    const fleet = await fleetOf(['a', 'b'])
    const out = new Collector()
    const { stop, done } = await watching(['watch', '--json', ...source(fleet)], out)
    await until(() => out.text.split('\n').length > 2)
    fleet.breakers.get('b')!.forceOpen()
    await until(() => out.text.includes('"to":"forced_open"'))
    stop.abort()
    const { code, stderr } = await done
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = out.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.slice(0, 2).map(({ name, from, to }) => ({ name, from, to }))).toEqual([
      { name: 'a', from: null, to: 'closed' },
      { name: 'b', from: null, to: 'closed' },
    ])
    expect(lines.at(-1)).toMatchObject({ name: 'b', from: 'closed', to: 'forced_open' })
  })

  it('prints changes as text lines when not on a terminal, names escaped', async () => {
    const fleet = await fleetOf([HOSTILE])
    const out = new Collector()
    const { stop, done } = await watching(['watch', ...source(fleet)], out)
    await until(() => out.text.includes('new -> closed'))
    fleet.breakers.get(HOSTILE)!.disable()
    await until(() => out.text.includes('closed -> disabled'))
    stop.abort()
    expect((await done).code).toBe(0)
    expect(out.text).not.toContain(ESC)
    expect(out.text).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}<img src=x onerror=alert\(1\)>"'\\x1b\[2J/m,
    )
  })

  it('redraws the table on a terminal and gives the cursor back when interrupted', async () => {
    const fleet = await fleetOf(['orders'])
    const out = new Collector(true, 80)
    const { stop, done } = await watching(['watch', ...source(fleet)], out)
    await until(() => out.text.includes('orders'))
    fleet.breakers.get('orders')!.forceOpen()
    await until(() => out.text.includes('\x1b[35mforced_open'))
    stop.abort()
    expect((await done).code).toBe(0)
    expect(out.text.startsWith('\x1b[?25l')).toBe(true)
    expect(out.text.endsWith('\x1b[?25h')).toBe(true)
    expect(out.text.split('\x1b[H\x1b[2J').length).toBeGreaterThan(2)
    expect(out.text).toContain(`prefix "${fleet.prefix}"`)
  })
})
