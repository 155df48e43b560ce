/**
 * 10c. What core's `node:diagnostics_channel` publishing costs a closed call: no subscriber
 * (the call reads whether anyone listens, nothing more), subscribers on the channels a call
 * never publishes on (`transition`, `reject`), and subscribers on `call:start` / `call:end`
 * (two messages per call and a clock read for the duration). Each contender has a breaker of
 * its own and its channels subscribed only while its rounds run.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { CircuitBreaker, DIAGNOSTICS_CHANNELS } from '@tripswitch/core'
import {
  type BenchConfig,
  type Contender,
  inProcessClock,
  measure,
  type Samples,
  scaledOps,
} from './harness.ts'
import { formatInt, type Table, timingTable } from './report.ts'

const OPS = 100_000
const fn = async (): Promise<number> => 1

let received = 0
const listener = (): void => {
  received++
}

/** Closed calls of a breaker of its own, with `channels` subscribed while they run. */
function contender(name: string, channels: readonly string[]): Contender {
  const breaker = new CircuitBreaker({ name })
  return {
    name,
    async run(n) {
      for (const channel of channels) subscribe(channel, listener)
      try {
        for (let i = 0; i < n; i++) await breaker.execute(fn)
      } finally {
        for (const channel of channels) unsubscribe(channel, listener)
      }
    },
  }
}

function samples(config: BenchConfig): Promise<Samples[]> {
  const { transition, reject, callStart, callEnd } = DIAGNOSTICS_CHANNELS
  return measure(
    [
      contender('execute(fn), no subscriber', []),
      contender('execute(fn), transition + reject subscribed', [transition, reject]),
      contender('execute(fn), call:start + call:end subscribed', [callStart, callEnd]),
    ],
    {
      rounds: config.rounds,
      warmupRounds: config.warmupRounds,
      clock: inProcessClock(),
      ops: scaledOps(OPS, config),
    },
  )
}

/** Table 10c. */
export async function diagnosticsTable(config: BenchConfig): Promise<Table> {
  const measured = await samples(config)
  return timingTable(
    '10c. A closed call and core diagnostics_channel subscribers',
    measured,
    'ns',
    measured[0],
    `Without a subscriber a call reads one flag: the first row is the same call as table 1's execute. ${formatInt(received)} messages reached the subscribers.`,
  )
}
