#!/usr/bin/env node
import { main } from './main.ts'

// The `tripswitch` bin: the command line runs in `main`; this file only wires the process to it.
// The first Ctrl-C stops `watch` cleanly (exit 0) or cuts another command short (exit 130); a
// second one leaves at once.
const interrupt = new AbortController()
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) {
    // `watch` hides the cursor on a terminal; leaving at once must not leave it hidden.
    if (process.stdout.isTTY) process.stdout.write('\x1b[?25h')
    process.exit(130)
  }
  interrupt.abort()
})
// Output piped into a reader that went away (`tripswitch watch | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
})
process.exitCode = code
