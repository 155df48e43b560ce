/**
 * A command line the CLI cannot run (unknown command or flag, missing or extra argument, both or
 * neither source). Exits with code 2 and a pointer to `--help`.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The command whose help applies, when known. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}

/**
 * A command that could not be carried out (Redis or the admin API unreachable, a refused action,
 * an unknown circuit, an answer the CLI cannot read). Exits with code 1; the message says what
 * failed, without a stack.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError'
}

/** Most characters of an untrusted value (a server's message, a URL) quoted in an error. */
const QUOTED = 120

/** `value` cut to {@link QUOTED} characters, for quoting in a message. */
export function clip(value: string): string {
  return value.length <= QUOTED ? value : `${value.slice(0, QUOTED)}…`
}

/** The message of an unknown thrown value, never its stack. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    const message = error.message || error.name
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
  }
  return String(error)
}
