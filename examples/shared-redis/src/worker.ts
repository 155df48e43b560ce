// One worker process: its own Redis connection, RedisStore, registry and breaker, calling the
// upstream in a loop and reporting every call and every transition to the coordinator.
import { CircuitBreakerRegistry, isCircuitOpenError, type Permit } from '@tripswitch/core'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'
import {
  type CallOutcome,
  type CoordinatorMessage,
  type WorkerMessage,
  type WorkerSettings,
  wallTime,
} from './messages.ts'

const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings
const { worker } = settings

function report(message: WorkerMessage): void {
  process.send?.(message)
}

// The settings the store's README recommends (a dead Redis fails fast instead of queueing
// commands), except the timeout: the README's 200 ms suits a production host, but here N Node
// processes start at once on what may be a busy 2-core CI box, and a stalled event loop would
// make the store fall back to local breakers, which is not what this example is about.
const COMMAND_TIMEOUT_MS = 1_000
const client = new Redis(settings.redisUrl, {
  commandTimeout: COMMAND_TIMEOUT_MS,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
})
client.on('error', () => {
  // The store reports Redis trouble as storeError events, forwarded below.
})
// The store is made once connected: before that it could only answer from its local fallback.
await new Promise<void>((resolve) => client.once('ready', resolve))
// Keys expire an hour after the run even if the coordinator could not clean them up.
const store = new RedisStore({
  client,
  prefix: settings.prefix,
  // How the coordinator's dashboard names this process in its fleet view.
  instanceId: `worker-${worker}`,
  commandTimeout: COMMAND_TIMEOUT_MS,
  stateTtl: 3_600_000,
})
const registry = new CircuitBreakerRegistry({ store })
// Every worker asks for the same name, so all of them are one circuit in Redis.
const breaker = registry.get(settings.breakerName, {
  strategy: 'consecutive',
  errorThreshold: 3,
  recoveryTimeout: settings.recoveryMs,
  halfOpenMaxCalls: 1,
})

breaker.on('stateChange', ({ from, to }) =>
  report({ type: 'state', worker, at: wallTime(), from, to }),
)
breaker.on('storeError', ({ error }) =>
  report({ type: 'storeError', worker, at: wallTime(), message: String(error) }),
)

async function callUpstream(): Promise<void> {
  const response = await fetch(settings.upstreamUrl, { signal: AbortSignal.timeout(5_000) })
  await response.text()
  if (!response.ok) throw new Error(`upstream answered ${response.status}`)
}

/** One call through the breaker: acquire a permit, call, settle it. */
async function callOnce(): Promise<void> {
  let permit: Permit
  try {
    permit = await breaker.acquire()
  } catch (error) {
    if (!isCircuitOpenError(error)) throw error
    report({
      type: 'call',
      worker,
      at: wallTime(),
      outcome: 'refused',
      probe: false,
      durationMs: 0,
    })
    return
  }
  // Stamped when admitted, before the request leaves: the coordinator compares it with the
  // moment each worker learned of a transition.
  const admittedAt = wallTime()
  const finish = (outcome: CallOutcome, probe: boolean) =>
    report({
      type: 'call',
      worker,
      at: admittedAt,
      outcome,
      probe,
      durationMs: wallTime() - admittedAt,
    })
  try {
    await callUpstream()
    permit.success()
    finish('success', permit.probe)
  } catch (error) {
    permit.failure(error)
    finish('failure', permit.probe)
  }
}

let stopping = false
let timer: NodeJS.Timeout | undefined
let inFlight: Promise<void> = Promise.resolve()

function loop(): void {
  inFlight = callOnce().finally(() => {
    if (!stopping) timer = setTimeout(loop, settings.callIntervalMs)
  })
}

async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearTimeout(timer)
  await inFlight
  breaker.dispose()
  store.close()
  await client.quit()
  // With the loop, the store and both connections closed, only the IPC channel holds us.
  if (process.connected) process.disconnect()
}

process.on('message', (message: CoordinatorMessage) => {
  if (message.type === 'stop') void stop()
})
// An orphan (the coordinator died) must not go on calling.
process.on('disconnect', () => void stop())

report({ type: 'ready', worker, at: wallTime() })
loop()
