import { main } from '../src/index.ts'

/** An output stream that keeps what was written. */
export class Collector {
  text = ''
  constructor(
    readonly isTTY = false,
    readonly columns: number | undefined = undefined,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

/** How {@link cli} runs. */
export interface RunOptions {
  /** Standard output is a terminal. */
  readonly tty?: boolean
  readonly columns?: number
  readonly env?: Record<string, string | undefined>
  readonly signal?: AbortSignal
  /** The collector to write to (to read output while the command runs). */
  readonly stdout?: Collector
}

/** The result of one in-process run. */
export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `tripswitch ...argv` in this process through `main()`. */
export async function cli(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = options.stdout ?? new Collector(options.tty ?? false, options.columns)
  const stderr = new Collector()
  const code = await main(argv, { stdout, stderr, env: options.env ?? {}, signal: options.signal })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

/** Waits for `condition`, polling every 10 ms, at most `ms`. */
export async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

let prefixes = 0

/** A fresh Redis key prefix per test, so tests sharing the server never see each other's keys. */
export function uniquePrefix(): string {
  return `cli${process.pid}x${++prefixes}:`
}

/** The Redis every test uses (running on the default port). */
export const REDIS_URL = 'redis://127.0.0.1:6379'

/** Escape, the start of every ANSI sequence: none may reach a terminal from a name. */
export const ESC = '\x1b'

/** A hostile name: it would clear the screen, reorder the line and inject markup. */
export const HOSTILE = `<img src=x onerror=alert(1)>"'\x1b[2J\u202e\x07\ud800`

const SGR = new RegExp(`${ESC}\\[\\d+m`, 'g')

/** `text` without the colour codes (SGR sequences) the table adds itself. */
export const withoutColour = (text: string): string => text.replace(SGR, '')

/** True when `text` holds a C0 or C1 control or a bidi override or isolate. */
export function hasControl(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return true
  }
  return false
}
