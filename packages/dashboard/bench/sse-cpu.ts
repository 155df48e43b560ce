// CPU cost of the dashboard's event stream per connected client. A registry of 1,000 circuits
// (each called a few times; `--rps` adds steady traffic), the dashboard on 127.0.0.1 at its
// default interval (one snapshot per second), and N clients in a child process that read and
// discard the stream, so their parsing is not counted. Reports this process's CPU ms per second
// of wall time with no clients (before and after, averaged) and with N; the cost of a client is
// the difference over N. With one client it includes the snapshot itself (built and serialised
// once per tick whatever the number of clients).
//
//   npm run bench -w @tripswitch/dashboard -- --seconds 10
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { createDashboard } from '../src/index.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    circuits: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '1,10,32' },
    rps: { type: 'string', default: '0' },
    client: { type: 'string' },
  },
  strict: true,
})

/** Child mode: open `count` streams to `url` and discard what arrives. */
async function runClients(url: string, count: number): Promise<void> {
  const { get } = await import('node:http')
  let open = 0
  let bytes = 0
  for (let i = 0; i < count; i++)
    get(url, (res) => {
      if (res.statusCode !== 200) throw new Error(`stream answered ${res.statusCode}`)
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      if (++open === count) process.send?.('ready')
    })
  // Tells the parent how much arrived, so a row shows that every client was really fed.
  setInterval(() => process.send?.(bytes), 500)
}

async function populate(count: number): Promise<CircuitBreakerRegistry> {
  const registry = new CircuitBreakerRegistry({ maxBreakers: count })
  for (let i = 0; i < count; i++) {
    const breaker = registry.get(`service-${String(i).padStart(4, '0')}.example`)
    for (let call = 0; call < 5; call++)
      await breaker
        .execute(() => (call === 4 ? Promise.reject(new Error('x')) : 'ok'))
        .catch(() => {})
  }
  return registry
}

/** `rps` calls a second over every circuit in turn, so each snapshot has new numbers. */
function traffic(registry: CircuitBreakerRegistry, rps: number): NodeJS.Timeout {
  const breakers = registry.list()
  let next = 0
  return setInterval(() => {
    for (let i = 0; i < rps / 100; i++) {
      const breaker = breakers[next++ % breakers.length]!
      void breaker
        .execute(() => (next % 7 === 0 ? Promise.reject(new Error('x')) : 'ok'))
        .catch(() => {})
    }
  }, 10)
}

/** CPU ms this process used per second of wall time over `seconds`. */
async function cpuPerSecond(seconds: number): Promise<number> {
  const start = process.cpuUsage()
  const began = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000))
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1_000 / ((performance.now() - began) / 1_000)
}

/** CPU ms/s of this process with `count` clients, and KiB/s each client received. */
async function withClients(url: string, count: number, seconds: number): Promise<[number, number]> {
  const child = fork(new URL(import.meta.url), ['--client', `${url} ${count}`], {
    execArgv: ['--conditions=@tripswitch/source', '--import', 'tsx'],
  })
  let received = 0
  child.on('message', (message) => {
    if (typeof message === 'number') received = message
  })
  await new Promise<void>((resolve) => child.once('message', () => resolve()))
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const start = received
  const cpu = await cpuPerSecond(seconds)
  const perClient = (received - start) / 1024 / seconds / count
  child.kill()
  await new Promise((resolve) => child.once('exit', resolve))
  return [cpu, perClient]
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds)
  const circuits = Number(values.circuits)
  const registry = await populate(circuits)
  const load = traffic(registry, Number(values.rps))
  const dashboard = createDashboard({ registry })
  const server = createServer(dashboard)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/events`
  const size = (await (await fetch(url.replace('events', 'circuits'))).text()).length
  console.log(
    `${circuits} circuits, snapshot ${(size / 1024).toFixed(0)} KiB, ${seconds} s per row`,
  )
  await new Promise((resolve) => setTimeout(resolve, 5_000))
  const before = await cpuPerSecond(seconds)
  const rows: Array<[number, number, number]> = []
  for (const count of values.clients.split(',').map(Number))
    rows.push([count, ...(await withClients(url, count, seconds))])
  const after = await cpuPerSecond(seconds)
  const idle = (before + after) / 2
  console.log('| clients | CPU ms/s (process) | CPU ms/s per client | KiB/s per client |')
  console.log('|--------:|-------------------:|--------------------:|-----------------:|')
  console.log(`| 0 | ${before.toFixed(1)} before, ${after.toFixed(1)} after | – | – |`)
  for (const [count, cpu, kib] of rows) {
    const each = ((cpu - idle) / count).toFixed(2)
    console.log(`| ${count} | ${cpu.toFixed(1)} | ${each} | ${kib.toFixed(0)} |`)
  }
  clearInterval(load)
  dashboard.close()
  server.close()
}

if (values.client !== undefined) {
  const [url, count] = values.client.split(' ')
  await runClients(url!, Number(count))
} else await main()
