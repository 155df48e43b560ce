/**
 * Child process of hardening.test.ts: one fault per mode, run with
 * `node --conditions=@tripswitch/source --import tsx test/support/fault-child.ts <mode>`.
 * Prints one JSON line and never calls process.exit: the test reads how the process ended.
 * - `throwing-listener`: an onOpen listener throws at the first trip.
 * - `never-settles`: awaits a call that never settles, with a 50 ms timeout.
 * - `waits-in-turn`: calls that never settle on two breakers, started 20 ms apart, then one more
 *   started after they timed out: each must time out, nothing else holding the process.
 */
import { CircuitBreaker, isCircuitTimeoutError } from '@tripswitch/core'

const mode = process.argv[2]
const warnings: string[] = []
process.on('warning', (warning) => warnings.push(String((warning as { code?: unknown }).code)))

if (mode === 'throwing-listener') {
  const breaker = new CircuitBreaker({
    errorThreshold: 1,
    onOpen: () => {
      throw new Error('listener bug')
    },
  })
  const result = await breaker.execute(() => Promise.reject(new Error('down'))).catch(String)
  await new Promise((resolve) => setImmediate(resolve))
  process.stdout.write(`${JSON.stringify({ state: breaker.state, result, warnings })}\n`)
} else if (mode === 'never-settles') {
  const breaker = new CircuitBreaker({ timeout: 50 })
  const error = await breaker.execute(() => new Promise<never>(() => {})).catch((e: unknown) => e)
  process.stdout.write(`${JSON.stringify({ timedOut: isCircuitTimeoutError(error) })}\n`)
} else if (mode === 'waits-in-turn') {
  const never = () => new Promise<never>(() => {})
  const a = new CircuitBreaker({ timeout: 50 })
  const b = new CircuitBreaker({ timeout: 80 })
  const first = a.execute(never).catch((e: unknown) => e)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const errors = await Promise.all([first, a.execute(never), b.execute(never)].map(caught))
  errors.push(await caught(a.execute(never)))
  process.stdout.write(`${JSON.stringify({ timedOut: errors.map(isCircuitTimeoutError) })}\n`)
} else {
  throw new Error(`unknown mode ${mode}`)
}

function caught(call: Promise<unknown>): Promise<unknown> {
  return call.catch((e: unknown) => e)
}
