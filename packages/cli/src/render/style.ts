/** How text is coloured: ANSI SGR codes on a colour terminal, nothing otherwise. */
export interface Style {
  /** `text` in the colour of circuit state `state` (unknown states stay plain). */
  state(state: string, text: string): string
  /** `text` in bold (headers). */
  bold(text: string): string
  /** `text` dimmed (unknown values, footers). */
  dim(text: string): string
}

const STATE_COLOURS: Readonly<Record<string, string>> = {
  closed: '32', // green
  open: '31', // red
  half_open: '33', // yellow
  forced_open: '35', // magenta
  disabled: '90', // grey
}

const sgr = (code: string, text: string) => `\x1b[${code}m${text}\x1b[0m`

const plain: Style = { state: (_state, text) => text, bold: (text) => text, dim: (text) => text }

const coloured: Style = {
  state: (state, text) => {
    const code = Object.hasOwn(STATE_COLOURS, state) ? STATE_COLOURS[state] : undefined
    return code === undefined ? text : sgr(code, text)
  },
  bold: (text) => sgr('1', text),
  dim: (text) => sgr('2', text),
}

/** The inputs that decide on colour. */
export interface ColourChoice {
  /** Whether standard output is a terminal. */
  readonly tty: boolean
  /** `--no-color` was given. */
  readonly noColor: boolean
  /** The environment (`NO_COLOR` set to anything but the empty string turns colour off). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Colour only on a terminal, unless `--no-color` or `NO_COLOR` (https://no-color.org) says not. */
export function styleFor({ tty, noColor, env }: ColourChoice): Style {
  const disabled = noColor || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')
  return tty && !disabled ? coloured : plain
}
