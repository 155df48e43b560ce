import { parseArgs } from 'node:util'
import { checkRedisUrl, header, httpUrl, timeoutOf } from './arg-values.ts'
import { clip, UsageError } from './errors.ts'
import type { Action } from './model.ts'

/** The commands, in the order the help lists them. */
export const COMMANDS = ['ls', 'watch', 'open', 'close', 'reset', 'disable'] as const
/** One of {@link COMMANDS}. */
export type CommandName = (typeof COMMANDS)[number]

/** Where circuits are read and acted on. */
export type SourceArgs =
  | { readonly kind: 'redis'; readonly url: string; readonly prefix: string | undefined }
  | {
      readonly kind: 'url'
      readonly url: URL
      readonly headers: readonly (readonly [string, string])[]
    }

/** A command line that parsed. */
export type Parsed =
  | { readonly kind: 'help'; readonly command: CommandName | undefined }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run'
      readonly command: CommandName
      /** The circuit acted on (open, close, reset, disable). */
      readonly name: string | undefined
      readonly source: SourceArgs
      readonly json: boolean
      readonly noColor: boolean
      readonly force: boolean
      /** Milliseconds to wait for Redis or the admin API before giving up. */
      readonly timeoutMs: number
    }

const OPTIONS = {
  redis: { type: 'string' },
  prefix: { type: 'string' },
  url: { type: 'string' },
  header: { type: 'string', multiple: true },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const

type OptionName = keyof typeof OPTIONS

const SOURCE: readonly OptionName[] = [
  'redis',
  'prefix',
  'url',
  'header',
  'timeout',
  'no-color',
  'json',
  'help',
]
/** The options each command takes. */
const ALLOWED: Readonly<Record<CommandName, readonly OptionName[]>> = {
  ls: SOURCE,
  watch: SOURCE,
  open: [...SOURCE, 'force'],
  close: [...SOURCE, 'force'],
  reset: [...SOURCE, 'force'],
  disable: [...SOURCE, 'force'],
}

/** The action each acting command performs. */
export const ACTIONS: Readonly<Partial<Record<CommandName, Action>>> = {
  open: 'open',
  close: 'close',
  reset: 'reset',
  disable: 'disable',
}

const isCommand = (value: string): value is CommandName =>
  (COMMANDS as readonly string[]).includes(value)

function tokens(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // parseArgs names the flag in its first sentence ("Unknown option '--x'."); the rest is a
    // long hint about `--`, which each command's help gives instead.
    const [first = ''] = (error as Error).message.split(/(?<=\.) /)
    throw new UsageError(clip(first.replace(/\.$/, '')), argv.find(isCommand))
  }
}

/**
 * Reads a command line (without the node and script arguments).
 * @throws {UsageError} naming what is wrong: unknown command or option, a missing or extra
 * argument, both or neither of `--redis` and `--url`, a bad URL, header or timeout.
 */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const { values, positionals } = tokens(argv)
  const [first, ...rest] = positionals
  if (first === 'help') return { kind: 'help', command: helpTopic(rest) }
  if (first === undefined) {
    if (values.version === true) return { kind: 'version' }
    if (values.help === true) return { kind: 'help', command: undefined }
    throw new UsageError('a command is needed')
  }
  if (!isCommand(first)) throw new UsageError(`unknown command "${clip(first)}"`)
  const command = first
  if (values.help === true) return { kind: 'help', command }
  for (const key of Object.keys(values) as OptionName[])
    if (!ALLOWED[command].includes(key))
      throw new UsageError(`${command} takes no --${key}`, command)
  const name = nameOf(command, rest)
  return {
    kind: 'run',
    command,
    name,
    source: sourceOf(values, command),
    json: values.json === true,
    noColor: values['no-color'] === true,
    force: values.force === true,
    timeoutMs: timeoutOf(values.timeout, command),
  }
}

function helpTopic(rest: readonly string[]): CommandName | undefined {
  const [topic] = rest
  if (topic === undefined) return undefined
  if (!isCommand(topic)) throw new UsageError(`unknown command "${clip(topic)}"`)
  return topic
}

function nameOf(command: CommandName, rest: readonly string[]): string | undefined {
  const acts = ACTIONS[command] !== undefined
  if (!acts) {
    if (rest.length > 0)
      throw new UsageError(`${command} takes no argument (got "${clip(rest[0]!)}")`, command)
    return undefined
  }
  if (rest.length === 0) throw new UsageError(`${command} needs the NAME of a circuit`, command)
  if (rest.length > 1)
    throw new UsageError(`${command} takes one NAME (got ${rest.length})`, command)
  const name = rest[0]!
  if (name === '') throw new UsageError(`${command} needs a NAME that is not empty`, command)
  return name
}

type Values = ReturnType<typeof tokens>['values']

function sourceOf(values: Values, command: CommandName): SourceArgs {
  const { redis, url } = values
  if (redis !== undefined && url !== undefined)
    throw new UsageError('give either --redis or --url, not both', command)
  if (redis === undefined && url === undefined)
    throw new UsageError('give --redis URL (the shared store) or --url URL (an instance)', command)
  if (redis !== undefined) {
    if (values.header !== undefined) throw new UsageError('--header applies to --url only', command)
    checkRedisUrl(redis, command)
    return { kind: 'redis', url: redis, prefix: values.prefix }
  }
  if (values.prefix !== undefined) throw new UsageError('--prefix applies to --redis only', command)
  if (values.force !== undefined)
    throw new UsageError(
      '--force applies to --redis only (the instance decides over --url)',
      command,
    )
  return {
    kind: 'url',
    url: httpUrl(url!, command),
    headers: (values.header ?? []).map((h) => header(h, command)),
  }
}
