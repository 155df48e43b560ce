// One "instance" of the fleet measurement: B busy breakers sharing a RedisStore, called in a
// loop. Exits when the parent disconnects.
import { CircuitBreaker } from '@tripswitch/core'
import { Redis } from 'ioredis'
import { RedisStore } from '../src/index.ts'

const [port, prefix, breakers, syncInterval] = process.argv.slice(2)
const client = new Redis({
  port: Number(port),
  host: '127.0.0.1',
  commandTimeout: 200,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
})
client.on('error', () => {})
const store = new RedisStore({ client, prefix, syncInterval: Number(syncInterval) })
const all = Array.from(
  { length: Number(breakers) },
  (_, i) => new CircuitBreaker({ name: `b${i}`, store }),
)
const ok = () => Promise.resolve(1)

let running = true
process.on('disconnect', () => {
  running = false
  store.close()
  client.disconnect()
})

// Every breaker sees a call every 10 ms: busy enough that each flush carries outcomes.
async function loop(): Promise<void> {
  while (running) {
    await Promise.all(all.map((breaker) => breaker.execute(ok)))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
client.once('ready', () => {
  process.send?.('ready')
  void loop()
})
