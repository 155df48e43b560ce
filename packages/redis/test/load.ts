import { type CircuitBreaker, isCircuitOpenError } from '@tripswitch/core'

/** What a load run saw. */
export interface LoadResult {
  /** Protected calls made. */
  readonly calls: number
  /** Calls that failed for any reason but an open circuit (there should be none). */
  readonly failed: readonly unknown[]
  /** Calls an open circuit refused (the breaker doing its job). */
  readonly refused: number
  /** The slowest call, in ms. */
  readonly slowestMs: number
}

export interface Load {
  stop(): Promise<LoadResult>
}

const ok = () => Promise.resolve(1)

/**
 * Calls every breaker in turn, over and over, until stopped, yielding to the event loop every
 * round (timers, sockets and the store's own work run in between).
 */
export function underLoad(breakers: readonly CircuitBreaker[]): Load {
  let running = true
  let calls = 0
  let refused = 0
  let slowestMs = 0
  const failed: unknown[] = []
  const loop = (async () => {
    while (running) {
      for (const breaker of breakers) {
        const started = performance.now()
        try {
          await breaker.execute(ok)
        } catch (error) {
          if (isCircuitOpenError(error)) refused++
          else failed.push(error)
        }
        calls++
        slowestMs = Math.max(slowestMs, performance.now() - started)
      }
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { calls, failed, refused, slowestMs }
    },
  }
}
