/** Where the services write their lines; tests collect them, main.ts prints them. */
export type Log = (line: string) => void

/** A log that prints each line to stdout with a wall-clock ISO timestamp. */
export function consoleLog(): Log {
  return (line) => console.log(`${new Date().toISOString()} ${line}`)
}
