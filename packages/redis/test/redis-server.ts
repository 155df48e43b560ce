import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A redis-server of our own. Fails (never skips) when the binary is missing. */
export interface RedisServer {
  readonly port: number
  /** A client with the safe settings. */
  client(options?: RedisOptions): Redis
  /** kill -9, then start again on the same port (empty dataset). */
  crash(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

/** Starts redis-server on `port` with `extra` options; resolves once it accepts connections. */
export function launch(port: number, extra: readonly string[]): Promise<ChildProcess> {
  // Its own temp dir: a replica writes the synced RDB there, never into the working tree; no
  // delay before a replica's first sync (the default waits 5 s to batch replicas).
  const dir = mkdtempSync(join(tmpdir(), 'tripswitch-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  args.push('--dir', dir, '--repl-diskless-sync-delay', '0')
  args.push(...extra)
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start on ${port}:\n${output}`))
    }, 5_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`redis-server could not be started (is it on PATH?): ${error.message}`))
    })
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve(child)
      }
    })
  })
}

/** Resolves when `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Starts a redis-server on a free port; `args` are extra command-line options (`--requirepass x`). */
export async function startRedis(args: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | null = await launch(port, args)
  const clients: Redis[] = []
  const kill = async () => {
    if (child === null) return
    const c = child
    child = null
    c.kill('SIGKILL')
    await exited(c)
  }
  return {
    port,
    client(options = {}) {
      const client = new Redis({
        port,
        host: '127.0.0.1',
        commandTimeout: 200,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 50,
        ...options,
      })
      client.on('error', () => {})
      clients.push(client)
      return client
    },
    crash: kill,
    async restart() {
      child = await launch(port, args)
    },
    async stop() {
      for (const c of clients) c.disconnect()
      await kill()
    },
  }
}

/** Resolves when `client` is ready. */
export function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => client.once('ready', () => resolve()))
}
