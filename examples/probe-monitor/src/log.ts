import type { Clock } from '@tripswitch/core'

/** Log levels, least severe first; a logger prints its level and those after it. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Writes one message at a level; the logger decides whether it is printed. */
export type Log = (level: LogLevel, message: string) => void

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level printed. */
  readonly level: LogLevel
  /** Source of the timestamps: the monitor's clock, so fake time shows in test logs. */
  readonly clock: Clock
  /** Receives each printed line, without a newline. */
  readonly write: (line: string) => void
}

/** A logger printing `2026-11-24T10:00:00.000Z WARNING message` lines at `level` and above. */
export function createLogger({ level, clock, write }: LoggerOptions): Log {
  const lowest = LOG_LEVELS.indexOf(level)
  return (messageLevel, message) => {
    if (LOG_LEVELS.indexOf(messageLevel) < lowest) return
    write(`${new Date(clock.now()).toISOString()} ${messageLevel} ${message}`)
  }
}
