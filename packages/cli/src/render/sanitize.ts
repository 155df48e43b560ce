// Characters a terminal acts on or that change how the rest of a line reads: C0 and C1
// controls (ESC starts every ANSI sequence, so `\x1b[2J` would clear the screen), DEL,
// Unicode bidi marks, embeddings, overrides and isolates (they reorder what follows), line and
// paragraph separators, the BOM, lone surrogates, and the backslash itself so that an escape
// shown can be told from the same characters typed in a name.
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udfff]/gu

const NAMED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
}

function visible(char: string): string {
  const named = NAMED[char]
  if (named !== undefined) return named
  const code = char.charCodeAt(0)
  const hex = code.toString(16).padStart(code <= 0xff ? 2 : 4, '0')
  return code <= 0xff ? `\\x${hex}` : `\\u${hex}`
}

/**
 * `text` safe to write to a terminal: every character in the unsafe set above is replaced by
 * a visible escape (`\x1b`, `\u202e`, `\\`); everything else is kept.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, visible)
}
