import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** A private redis-server for one run: no persistence, loopback only. */
export interface PrivateRedis {
  readonly url: string
  stop(): Promise<void>
}

/** redis-server is not on PATH; main turns this into advice and exit code 1. */
export class RedisNotInstalledError extends Error {
  override readonly name = 'RedisNotInstalledError'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Starts redis-server on a free port and resolves once it accepts connections. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  // --save "" and --appendonly no: nothing is written to disk, nothing is left behind.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start on port ${port}:\n${output}`))
    }, 10_000)
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (error.code === 'ENOENT')
        reject(new RedisNotInstalledError('redis-server was not found on PATH'))
      else reject(error)
    })
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`))
    }
    child.once('exit', exitedEarly)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.off('exit', exitedEarly)
        resolve()
      }
    })
  })
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout.resume()
  child.stderr.resume()
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      await exited(child)
    },
  }
}
