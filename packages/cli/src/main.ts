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
import { openHttpSource } from './sources/http.ts'
import { openRedisSource } from './sources/redis.ts'
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
  let source: CircuitSource | undefined
  try {
    source = await openSource(parsed)
    await run(parsed, source, io)
    return ExitCode.Ok
  } catch (error) {
    return fail(io, error, parsed.command)
  } finally {
    await source?.close()
  }
}

function openSource({ source, timeoutMs }: Run): Promise<CircuitSource> | CircuitSource {
  if (source.kind === 'redis')
    return openRedisSource({ url: source.url, prefix: source.prefix, timeoutMs })
  return openHttpSource({ url: source.url, headers: source.headers, timeoutMs })
}

function run(parsed: Run, source: CircuitSource, io: CliIo): Promise<void> {
  const tty = io.stdout.isTTY === true
  const context: CommandContext = {
    source,
    stdout: io.stdout,
    style: styleFor({ tty, noColor: parsed.noColor, env: io.env }),
    json: parsed.json,
    tty,
    signal: io.signal ?? new AbortController().signal,
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
