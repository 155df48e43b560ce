import { STATUS_CODES } from 'node:http'
import type { LogLevel } from './log.ts'
import type { ProbeResult } from './monitor.ts'

/** The log line of probe `number`: INFO for every outcome, DEBUG for a cancelled probe. */
export function describeProbe(
  number: number,
  result: ProbeResult,
): { level: LogLevel; message: string } {
  const prefix = `Probe ${number}:`
  switch (result.kind) {
    case 'answered': {
      const status = `HTTP ${result.status} ${STATUS_CODES[result.status] ?? ''}`.trimEnd()
      const message = `${prefix} ${status} in ${result.durationMs} ms, counted as ${result.counted}; circuit ${result.state}`
      return { level: 'INFO', message }
    }
    case 'no-answer': {
      const message = `${prefix} no answer (${result.reason}) after ${result.durationMs} ms, counted as ${result.counted}; circuit ${result.state}`
      return { level: 'INFO', message }
    }
    case 'refused': {
      const wait = result.retryAfterMs > 0 ? ` (trial probe in ${result.retryAfterMs} ms)` : ''
      return { level: 'INFO', message: `${prefix} not sent, circuit ${result.state}${wait}` }
    }
    case 'cancelled':
      return { level: 'DEBUG', message: `${prefix} cancelled (shutting down)` }
  }
}
