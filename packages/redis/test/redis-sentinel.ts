import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { exited, freePort, launch } from './redis-server.ts'

/** The name the sentinels monitor the primary under. */
export const PRIMARY_NAME = 'tripswitch'

/** A primary, its replica and three sentinels, each a process of ours on a free port. */
export interface SentinelSetup {
  readonly sentinelPorts: readonly number[]
  /** An ioredis client in sentinel mode with the safe settings. */
  client(options?: RedisOptions): Redis
  /** The port of the primary the sentinels name now. */
  primary(): Promise<number>
  /** kill -9 the primary the sentinels name now; returns its port. */
  killPrimary(): Promise<number>
  /** Resolves when the sentinels name a primary other than the one on `away`, and it says so. */
  failedOver(away: number, ms?: number): Promise<number>
  stop(): Promise<void>
}

function startSentinel(dir: string, port: number, primary: number): Promise<ChildProcess> {
  const conf = join(dir, `sentinel-${port}.conf`)
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${PRIMARY_NAME} 127.0.0.1 ${primary} 2`,
      // A primary silent for 500 ms is down (the default is 30 s): tests kill it on purpose.
      `sentinel down-after-milliseconds ${PRIMARY_NAME} 500`,
      `sentinel failover-timeout ${PRIMARY_NAME} 3000`,
      '',
    ].join('\n'),
  )
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`sentinel did not start on ${port}:\n${output}`))
    }, 5_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('+monitor')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
  })
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 100 ms until it returns a value, at most `ms`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not in time`)
    await pause(100)
  }
}

/** Starts the primary, the replica and the sentinels; kills what it started if it cannot. */
export async function startSentinels(): Promise<SentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'tripswitch-sentinel-'))
  const servers = new Map<number, ChildProcess | null>()
  const sentinels: ChildProcess[] = []
  const sentinelPorts: number[] = []
  const clients: Redis[] = []
  const stop = async () => {
    for (const c of clients) c.disconnect()
    const all = [...sentinels, ...servers.values()].filter((c): c is ChildProcess => c !== null)
    for (const child of all) child.kill('SIGKILL')
    await Promise.all(all.map(exited))
    rmSync(dir, { recursive: true, force: true })
  }
  const admin = (port: number) => {
    const c = new Redis({
      port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    c.on('error', () => {})
    clients.push(c)
    return c
  }
  const ask = async (port: number, ...args: (string | number)[]) => {
    const c = admin(port)
    try {
      return await c.call(args[0] as string, ...args.slice(1))
    } finally {
      c.disconnect()
    }
  }
  const primary = async () => {
    for (const port of sentinelPorts) {
      const reply = await ask(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', PRIMARY_NAME).catch(
        () => null,
      )
      if (Array.isArray(reply)) return Number(reply[1])
    }
    throw new Error('no sentinel answered')
  }
  try {
    const p = await freePort()
    servers.set(p, await launch(p, []))
    const r = await freePort()
    servers.set(r, await launch(r, ['--replicaof', '127.0.0.1', String(p)]))
    await waitFor(
      'replication',
      async () => {
        const info = String(await ask(r, 'INFO', 'replication'))
        return info.includes('master_link_status:up') ? true : undefined
      },
      15_000,
    )
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      sentinels.push(await startSentinel(dir, port, p))
      sentinelPorts.push(port)
    }
    // A failover needs each sentinel to know the replica and the two other sentinels.
    await waitFor(
      'sentinels',
      async () => {
        for (const port of sentinelPorts) {
          const info = (await ask(port, 'SENTINEL', 'MASTER', PRIMARY_NAME)) as string[]
          const field = (name: string) => Number(info[info.indexOf(name) + 1])
          if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return undefined
        }
        return true
      },
      10_000,
    )
  } catch (error) {
    await stop()
    throw error
  }
  return {
    sentinelPorts,
    client(options = {}) {
      const client = new Redis({
        sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
        name: PRIMARY_NAME,
        commandTimeout: 200,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
        sentinelRetryStrategy: () => 50,
        sentinelCommandTimeout: 200,
        failoverDetector: true,
        ...options,
      })
      client.on('error', () => {})
      clients.push(client)
      return client
    },
    primary,
    async killPrimary() {
      const port = await primary()
      const child = servers.get(port) ?? null
      servers.set(port, null)
      if (child !== null) {
        child.kill('SIGKILL')
        await exited(child)
      }
      return port
    },
    failedOver(away, ms = 15_000) {
      return waitFor(
        'failover',
        async () => {
          const port = await primary()
          if (port === away) return undefined
          const role = (await ask(port, 'ROLE')) as unknown[]
          return role[0] === 'master' ? port : undefined
        },
        ms,
      )
    },
    stop,
  }
}
