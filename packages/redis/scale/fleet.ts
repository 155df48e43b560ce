// Fleet-size measurement for docs/redis-at-scale.md: a redis-server of its own, N forked
// instances with B busy breakers each, Redis's CPU and script calls over a short window.
// Run: npx tsx --conditions=@tripswitch/source packages/redis/scale/fleet.ts
// Not part of `npm test`: it loads the machine for about a minute.
import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { ready, startRedis } from '../test/redis-server.ts'

const SCENARIOS: readonly { instances: number; breakers: number; syncInterval: number }[] = [
  { instances: 2, breakers: 50, syncInterval: 250 },
  { instances: 4, breakers: 50, syncInterval: 250 },
  { instances: 8, breakers: 50, syncInterval: 250 },
  { instances: 8, breakers: 50, syncInterval: 1_000 },
]
const WARMUP_MS = 2_000
const WINDOW_MS = 6_000

interface Sample {
  readonly cpuSeconds: number
  readonly scriptCalls: number
  readonly scriptUsec: number
}

async function sample(admin: Redis): Promise<Sample> {
  const cpu = await admin.info('cpu')
  const stats = await admin.info('commandstats')
  const field = (text: string, name: string) =>
    Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0)
  const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(stats)
  return {
    cpuSeconds: field(cpu, 'used_cpu_sys') + field(cpu, 'used_cpu_user'),
    scriptCalls: Number(evalsha?.[1] ?? 0),
    scriptUsec: Number(evalsha?.[2] ?? 0),
  }
}

function start(port: number, prefix: string, breakers: number, sync: number): ChildProcess {
  return fork(
    join(import.meta.dirname, 'fleet-worker.ts'),
    [String(port), prefix, String(breakers), String(sync)],
    {
      execArgv: ['--import', 'tsx', '--conditions=@tripswitch/source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  )
}

async function main(): Promise<void> {
  const server = await startRedis()
  const admin = server.client({ commandTimeout: 5_000 })
  await ready(admin)
  const rows: string[] = []
  try {
    for (const [i, s] of SCENARIOS.entries()) {
      const workers = Array.from({ length: s.instances }, () =>
        start(server.port, `fleet${i}:`, s.breakers, s.syncInterval),
      )
      try {
        await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))))
        await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
        const a = await sample(admin)
        await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
        const b = await sample(admin)
        const seconds = WINDOW_MS / 1_000
        const calls = (b.scriptCalls - a.scriptCalls) / seconds
        const usec = (b.scriptUsec - a.scriptUsec) / Math.max(1, b.scriptCalls - a.scriptCalls)
        const cpu = ((b.cpuSeconds - a.cpuSeconds) / seconds) * 100
        const expected = (s.instances * s.breakers * 1_000) / s.syncInterval
        rows.push(
          `| ${s.instances} | ${s.breakers} | ${s.syncInterval} | ${expected.toFixed(0)} | ${calls.toFixed(0)} | ${usec.toFixed(1)} | ${cpu.toFixed(1)} % |`,
        )
      } finally {
        for (const w of workers) w.disconnect()
        await Promise.all(
          workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.once('exit', r)))),
        )
      }
    }
  } finally {
    admin.disconnect()
    await server.stop()
  }
  console.log(
    '| instances | busy breakers each | syncInterval (ms) | flushes/s expected | EVALSHA/s measured | µs per script (Redis) | Redis CPU |',
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const row of rows) console.log(row)
}

await main()
