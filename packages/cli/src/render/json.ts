/**
 * One line of JSON. Names stay exact: JSON escapes control characters (`\u001b`) and lone
 * surrogates, so the line is also safe to print.
 */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value)}\n`
}
