import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CoordinatorMessage, WorkerMessage, WorkerSettings } from './messages.ts'

/** The forked worker processes. */
export interface Fleet {
  /** Asks every worker to finish its call and close; kills any still running after 5 s. */
  stop(): Promise<void>
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url))
// Resolved here, not left to each child: `--import tsx` would resolve from the child's working
// directory, which need not be inside this repository.
const TSX_LOADER = import.meta.resolve('tsx')

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Forks one worker per settings entry. Every message goes to `onMessage`; a worker that exits
 * before {@link Fleet.stop} goes to `onCrash`.
 */
export function forkWorkers(
  settings: readonly WorkerSettings[],
  onMessage: (message: WorkerMessage) => void,
  onCrash: (error: Error) => void,
): Fleet {
  let stopping = false
  const children = settings.map((s) => {
    const child = fork(WORKER_SCRIPT, [JSON.stringify(s)], {
      execArgv: ['--conditions=@tripswitch/source', '--import', TSX_LOADER],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.on('message', (message: WorkerMessage) => onMessage(message))
    child.once('exit', (code, signal) => {
      if (!stopping)
        onCrash(new Error(`worker ${s.worker} exited early (code ${code}, signal ${signal})`))
    })
    return child
  })
  return {
    async stop() {
      stopping = true
      const stop: CoordinatorMessage = { type: 'stop' }
      for (const child of children) if (child.connected) child.send(stop)
      const killer = setTimeout(() => {
        for (const child of children) child.kill('SIGKILL')
      }, 5_000)
      await Promise.all(children.map(exited))
      clearTimeout(killer)
    },
  }
}
