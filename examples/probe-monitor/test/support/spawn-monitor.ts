import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The workspace folder: main.ts runs from here, as `npm start` runs it. */
export const WORKSPACE = fileURLToPath(new URL('../..', import.meta.url))

const VARIABLES = [
  'HTTP_CLIENT',
  'TIME_WINDOW',
  'ERROR_THRESHOLD',
  'ACCEPT_CLIENT_ERRORS',
  'LOG_LEVEL',
]

/** A running probe-monitor process and its output. */
export interface MonitorProcess {
  readonly child: ChildProcess
  /** Everything written to stdout so far. */
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs` or on exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  readonly exited: Promise<number | null>
}

/** Starts `command` with only the given monitor variables set (the test's own are removed). */
export function spawnMonitor(
  env: Record<string, string>,
  command: { file: string; args: string[]; cwd: string } = {
    file: process.execPath,
    args: ['--conditions=@tripswitch/source', '--import', 'tsx', 'src/main.ts'],
    cwd: WORKSPACE,
  },
): MonitorProcess {
  const inherited = { ...process.env }
  for (const name of VARIABLES) delete inherited[name]
  const child = spawn(command.file, command.args, {
    cwd: command.cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  let ended = false
  void exited.then(() => {
    ended = true
  })

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      let done = false
      const stop = () => {
        done = true
        clearTimeout(timer)
        child.stdout?.off('data', check)
      }
      const fail = (why: string) => {
        if (done) return
        stop()
        const output = `stdout:\n${stdout}\nstderr:\n${stderr}`
        reject(new Error(`${why} before a line matched ${pattern}\n${output}`))
      }
      function check() {
        if (done) return
        // Complete lines only: a chunk may end in the middle of one.
        const line = stdout
          .split('\n')
          .slice(0, -1)
          .find((l) => pattern.test(l))
        if (line !== undefined) {
          stop()
          resolve(line)
        } else if (ended) fail('the process exited')
      }
      const timer = setTimeout(() => fail(`${timeoutMs} ms passed`), timeoutMs)
      child.stdout?.on('data', check)
      void exited.then(check)
      check()
    })

  return { child, stdout: () => stdout, stderr: () => stderr, waitForLine, exited }
}
