// One instance of the fleet measurement (forked by fleet.ts): one ioredis client, one RedisStore,
// one registry holding B breakers, the first `busy` of them called every `callEvery` ms and the
// rest idle. On the coordinator's word it watches a fresh breaker and reports, with a wall-clock
// timestamp, when that breaker opens. Exits when the coordinator disconnects.
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { RedisStore } from '../src/index.ts'
import type { FromCoordinator, ToCoordinator, WorkerSettings } from './protocol.ts'

const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings
const client = new Redis({
  port: settings.port,
  host: '127.0.0.1',
  commandTimeout: settings.commandTimeout,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
})
client.on('error', () => {})
const store = new RedisStore({
  client,
  prefix: settings.prefix,
  syncInterval: settings.syncInterval,
  pollInterval: settings.pollInterval,
  commandTimeout: settings.commandTimeout,
})
const registry = new CircuitBreakerRegistry({ store, maxBreakers: settings.breakers + 1_000 })
const watched = new Set<string>()
// A coordinator that went away (killed) must not crash the worker with EPIPE.
const send = (message: ToCoordinator) => {
  if (process.connected) process.send?.(message, undefined, {}, () => {})
}
/** Wall-clock ms, comparable across processes of one host (sub-ms resolution). */
const wallNow = () => performance.timeOrigin + performance.now()

registry.on('stateChange', ({ name, to }) => {
  if (to === 'open' && watched.delete(name)) send({ type: 'seen', name, at: wallNow() })
})

let downs = 0
store.on('down', () => downs++)

process.on('message', (message: FromCoordinator) => {
  if (message.type === 'report') {
    const cpu = process.cpuUsage()
    send({ type: 'report', downs, cpuMs: (cpu.user + cpu.system) / 1_000 })
  } else if (message.type === 'watch') {
    watched.add(message.name)
    registry.get(message.name)
    send({ type: 'watching', name: message.name })
  } else {
    watched.delete(message.name)
    registry.delete(message.name)
  }
})

const ok = () => Promise.resolve(1)
let timer: ReturnType<typeof setInterval> | undefined
process.on('disconnect', () => {
  clearInterval(timer)
  store.close()
  client.disconnect()
  // Whatever else is pending (a breaker's first read), the worker is done.
  setTimeout(() => process.exit(0), 200)
})

/** Breakers made per turn at startup: a service gets its breakers as traffic comes, not at once. */
const BATCH = 100

client.once('ready', async () => {
  const names = Array.from({ length: settings.breakers }, (_, i) => `b${i}`)
  for (let i = 0; i < names.length; i += BATCH) {
    for (const name of names.slice(i, i + BATCH)) registry.get(name)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const busy = names.slice(0, settings.busy).map((name) => registry.get(name))
  // A busy breaker gets a few calls per syncInterval: each flush carries outcomes. The call
  // rate beyond that does not change what Redis sees.
  timer = setInterval(() => {
    for (const breaker of busy) void breaker.execute(ok)
  }, settings.callEvery)
  send({ type: 'ready', instanceId: store.instanceId })
})
