/**
 * What one scrape (or collection) of many breakers costs: time, and bytes allocated.
 *
 * Bytes allocated are counted with `v8.GCProfiler`: the heap's growth across the scrape plus
 * what every garbage collection during it freed, so collections in the middle of a scrape do
 * not hide what it allocated. The returned text counts (it is allocated by the scrape).
 */
import { Agent, createServer, get, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GCProfiler } from 'node:v8'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { collectGarbage, inProcessClock, median } from './harness.ts'

/** Medians over the measured scrapes. */
export interface ScrapeCost {
  readonly ms: number
  readonly bytes: number
  /** Size of what one scrape returned (text length, or data points for OpenTelemetry). */
  readonly size: number
}

/**
 * A registry of `count` idle breakers, every tenth called once: the shape of a service with
 * many routes or hosts, most of them quiet.
 */
export async function manyBreakers(count: number): Promise<CircuitBreakerRegistry> {
  const registry = new CircuitBreakerRegistry({ maxBreakers: count })
  for (let i = 0; i < count; i++) registry.get(`route-${i}`)
  for (let i = 0; i < count; i += 10) await registry.get(`route-${i}`).execute(async () => 1)
  return registry
}

const usedHeap = (): number => process.memoryUsage().heapUsed

/** Time for V8's background threads to finish sweeping after a forced collection. */
const SETTLE_MS = 50

/**
 * Waits until the forced collection's background work is done. V8 sweeps the collected heap on
 * worker threads after `gc()` returns, and `process.cpuUsage()` counts every thread of the
 * process: measured at once, a scrape was charged 20 to 30 ms of sweeping of what earlier
 * contenders left (measured: 53 to 58 ms against 27 ms with `--single-threaded-gc`).
 */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
}

/** Bytes `scrape` allocates and the time it takes, once. */
async function once(scrape: () => Promise<number>): Promise<ScrapeCost> {
  collectGarbage()
  await settled()
  const profiler = new GCProfiler()
  const before = usedHeap()
  profiler.start()
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  const size = await scrape()
  const wall = Number(process.hrtime.bigint() - start) / 1e6
  const used = process.cpuUsage(cpu)
  const grown = usedHeap() - before
  const freed = (profiler.stop()?.statistics ?? []).reduce(
    (sum, gc) =>
      sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  )
  const ms = inProcessClock() === 'cpu' ? (used.user + used.system) / 1000 : wall
  return { ms, bytes: grown + freed, size }
}

/** Medians of `rounds` scrapes, after `warmup` unmeasured ones. */
export async function scrapeCost(
  scrape: () => Promise<number>,
  rounds: number,
  warmup = 3,
): Promise<ScrapeCost> {
  for (let i = 0; i < warmup; i++) await scrape()
  const costs: ScrapeCost[] = []
  for (let i = 0; i < rounds; i++) costs.push(await once(scrape))
  return {
    ms: median(costs.map((c) => c.ms)),
    bytes: median(costs.map((c) => c.bytes)),
    size: costs[0]?.size ?? 0,
  }
}

/**
 * {@link scrapeCost} of `handler` served by a real node:http server on 127.0.0.1 and scraped by
 * a client in this process over one kept-alive connection, the body counted and discarded: the
 * client's socket reads and HTTP parsing are in the count. The size is the body's bytes.
 */
export async function scrapeOverHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  rounds: number,
): Promise<ScrapeCost> {
  const server = createServer((req, res) => {
    void handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const scrape = () =>
    new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/metrics', agent }, (response) => {
        let bytes = 0
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length
        })
        response.on('end', () => resolve(bytes))
        response.on('error', reject)
      }).on('error', reject)
    })
  try {
    return await scrapeCost(scrape, rounds)
  } finally {
    agent.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
