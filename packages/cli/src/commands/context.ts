import type { CliOutput } from '../io.ts'
import type { Style } from '../render/style.ts'
import type { CircuitSource } from '../sources/source.ts'

/** What a command runs with. */
export interface CommandContext {
  readonly source: CircuitSource
  readonly stdout: CliOutput
  readonly style: Style
  /** `--json`. */
  readonly json: boolean
  /** Standard output is a terminal. */
  readonly tty: boolean
  readonly signal: AbortSignal
}
