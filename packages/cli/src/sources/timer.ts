import { setTimeout as sleep } from 'node:timers/promises'

/** Waits `ms`; resolves `false` instead when `signal` aborts first (never rejects). */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal })
    return true
  } catch {
    return false
  }
}
