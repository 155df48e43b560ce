import { ACTIONS, type Parsed, parseCommandLine } from './args.ts'
import { act } from './commands/act.ts'
import type { CommandContext } from './commands/context.ts'
import { ls } from './commands/ls.ts'
import { watch } from './commands/watch.ts'
import { CommandError, reasonOf, UsageError } from './errors.ts'
import { helpText } from './help.ts'
import type { CliIo } from './io.ts'
import { printable } from './render/sanitize.ts'
import { styleFor } from './render/style.ts'
import type { CircuitSource } from './sources/source.ts'
import { VERSION } from './version.ts'

/** Exit codes of {@link main}. */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** The command failed: unreachable source, refused action, unknown circuit, unreadable answer. */
  Failed: 1,
  /** The command line is wrong: unknown command or option, missing NAME, both or neither source. */
  Usage: 2,
  /** Interrupted (Ctrl-C) before it finished; `watch` exits 0 instead, its normal end. */
  Interrupted: 130,
} as const

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

type Run = Extract<Parsed, { kind: 'run' }>

/**
 * Runs the `tripswitch` command line `argv` (without the node and script arguments), writing to
 * `io.stdout` and `io.stderr`. Never throws and never exits the process: resolves the exit code.
 * Errors are one line on stderr naming what failed, never a stack.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed: Parsed
  try {
    parsed = parseCommandLine(argv)
  } catch (error) {
    return fail(io, error)
  }
  if (parsed.kind === 'help') {
    io.stdout.write(helpText(parsed.command))
    return ExitCode.Ok
  }
  if (parsed.kind === 'version') {
    io.stdout.write(`${VERSION}\n`)
    return ExitCode.Ok
  }
  const signal = io.signal ?? new AbortController().signal
  const work = execute(parsed, io, signal)
  try {
    // `watch` ends cleanly when the signal aborts; any other command is cut short by it.
    if (parsed.command === 'watch' || (await interrupted(work, signal)) === false) await work
    else {
      work.catch(() => {}) // it unwinds on its own (requests aborted, Redis disconnected)
      io.stderr.write('tripswitch: interrupted\n')
      return ExitCode.Interrupted
    }
    return ExitCode.Ok
  } catch (error) {
    return fail(io, error, parsed.command)
  }
}

/** Opens the source, runs the command on it, and closes it whatever happens. */
async function execute(parsed: Run, io: CliIo, signal: AbortSignal): Promise<void> {
  const { source: args, timeoutMs } = parsed
  // Each source is loaded when used: `--help`, `--version` and `--url` never load ioredis.
  const source =
    args.kind === 'redis'
      ? await (await import('./sources/redis.ts')).openRedisSource({
          url: args.url,
          prefix: args.prefix,
          timeoutMs,
          signal,
        })
      : (await import('./sources/http.ts')).openHttpSource({
          url: args.url,
          headers: args.headers,
          timeoutMs,
          signal,
        })
  try {
    await run(parsed, source, io, signal)
  } finally {
    await source.close()
  }
}

/** True when `signal` aborts before `work` settles (false once it has, whichever way). */
function interrupted(work: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true)
  return new Promise((resolve) => {
    const abort = () => resolve(true)
    signal.addEventListener('abort', abort, { once: true })
    const settled = () => {
      signal.removeEventListener('abort', abort)
      resolve(false)
    }
    work.then(settled, settled)
  })
}

function run(parsed: Run, source: CircuitSource, io: CliIo, signal: AbortSignal): Promise<void> {
  const tty = io.stdout.isTTY === true
  const context: CommandContext = {
    source,
    stdout: io.stdout,
    style: styleFor({ tty, noColor: parsed.noColor, env: io.env }),
    json: parsed.json,
    tty,
    signal,
  }
  const action = ACTIONS[parsed.command]
  if (action !== undefined) return act(context, parsed.name!, action, parsed.force)
  return parsed.command === 'watch' ? watch(context) : ls(context)
}

/** Writes the error's message (escaped: it may quote names and answers) and picks the exit code. */
function fail(io: CliIo, error: unknown, command?: string): ExitCode {
  if (error instanceof UsageError) {
    const topic = error.command ?? command
    const help = topic === undefined ? 'tripswitch --help' : `tripswitch ${topic} --help`
    io.stderr.write(`tripswitch: ${printable(error.message)}\nRun "${help}" for usage.\n`)
    return ExitCode.Usage
  }
  const message =
    error instanceof CommandError ? error.message : `unexpected error: ${reasonOf(error)}`
  io.stderr.write(`tripswitch: ${printable(message)}\n`)
  return ExitCode.Failed
}
