// The forked instances of one measured point, and the messages they send back.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// esbuild comes with tsx, which runs this script.
import { build } from 'esbuild'
import type { FromCoordinator, ToCoordinator, WorkerSettings } from './protocol.ts'

/**
 * The worker bundled into one CommonJS file (sources of the workspace packages, ioredis): a
 * worker then starts in about a tenth of the CPU time tsx takes to load the TypeScript, which
 * matters when 64 of them start on 2 cores.
 */
export async function bundleWorker(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'tripswitch-fleet-')), 'fleet-worker.cjs')
  await build({
    entryPoints: [join(import.meta.dirname, 'fleet-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@tripswitch/source'],
    outfile,
    logLevel: 'warning',
  })
  return outfile
}

/** N forked workers. */
export class Fleet {
  readonly workers: ChildProcess[]
  /** Listeners for every message of every worker (index of the worker, message). */
  private readonly listeners = new Set<(index: number, message: ToCoordinator) => void>()

  /** `script`: the bundled worker (see {@link bundleWorker}). */
  /** `nice`: how much to lower the workers' priority (`nice -n`, 0 = as the coordinator). */
  constructor(script: string, instances: number, settings: WorkerSettings, nice: number) {
    this.workers = Array.from({ length: instances }, (_, i) => {
      const worker = fork(script, [JSON.stringify(settings)], {
        // nice runs node with the same IPC channel (fd and env are inherited).
        execPath: 'nice',
        execArgv: ['-n', String(nice), process.execPath],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      worker.on('message', (message: ToCoordinator) => {
        for (const listener of this.listeners) listener(i, message)
      })
      return worker
    })
  }

  /** Resolves with one answer per worker: the first message of each that `pick` maps to a value. */
  collect<T>(
    pick: (message: ToCoordinator) => T | undefined,
    timeoutMs: number,
  ): Promise<(T | undefined)[]> {
    const answers: (T | undefined)[] = this.workers.map(() => undefined)
    let left = this.workers.length
    return new Promise((resolve) => {
      const done = () => {
        this.listeners.delete(listener)
        clearTimeout(timer)
        resolve(answers)
      }
      const listener = (index: number, message: ToCoordinator) => {
        const value = pick(message)
        if (value === undefined || answers[index] !== undefined) return
        answers[index] = value
        if (--left === 0) done()
      }
      const timer = setTimeout(done, timeoutMs)
      this.listeners.add(listener)
    })
  }

  tell(message: FromCoordinator): void {
    for (const worker of this.workers) if (worker.connected) worker.send(message)
  }

  /** Disconnects every worker (they close their store and exit); kills those still alive after 10 s. */
  async stop(): Promise<void> {
    for (const worker of this.workers) if (worker.connected) worker.disconnect()
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.exitCode !== null || worker.signalCode !== null) return resolve()
            const kill = setTimeout(() => worker.kill('SIGKILL'), 10_000)
            worker.once('exit', () => {
              clearTimeout(kill)
              resolve()
            })
          }),
      ),
    )
  }
}
