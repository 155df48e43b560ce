// Fleet-size measurement for docs/redis-at-scale.md: a redis-server of its own on a free port,
// N forked instances × B breakers (some busy, the rest idle) per point; Redis's commands/s by
// command, CPU, memory per breaker, and trip propagation p50/p99. Each point is appended to a
// JSON file as soon as it is measured; `fit.ts` fits the model to that file.
//
// Run (not part of `npm test`: a point takes 20-60 s and loads the machine):
//   npx tsx --conditions=@tripswitch/source packages/redis/scale/fleet.ts [points...]
//     [--timeout ms] [--nice n] [--out file]
// A point is `instances x breakers x busy x syncInterval[ x pollInterval]`, e.g. 32x1000x100x250
// (pollInterval 2000 when left out); without points it runs the default grid below. --timeout
// is the workers' commandTimeout (default 200, the store's); --nice their `nice -n` (default
// 0; a higher one leaves the host to other work but starves the workers when it is loaded); --out the JSON file (default
// measured.json next to this script), appended to.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { RedisStore } from '../src/index.ts'
import { ready, startRedis } from '../test/redis-server.ts'
import { bundleWorker } from './fleet-process.ts'
import { type Measured, measure, type Point } from './point.ts'
import { rowOf, TABLE_HEAD } from './table.ts'

const DEFAULT_GRID: readonly string[] = [
  '8x100x20x250',
  '16x100x20x250',
  '32x100x20x250',
  '64x100x20x250',
  '32x1000x100x250',
  '48x1000x100x250',
  '64x1000x100x250',
  '32x1000x100x1000',
  '64x1000x100x1000',
]

/** The measured Redis's `nice` (negative: before other work; needs the privilege to raise it). */
const REDIS_NICE = -10

function parsePoint(text: string, commandTimeout: number, nice: number): Point {
  const parts = text.split('x').map(Number)
  if (parts.length < 4 || parts.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(
      `a point is instances x breakers x busy x syncInterval[ x pollInterval]: ${text.slice(0, 40)}`,
    )
  const [instances, breakers, busy, syncInterval, pollInterval = 2_000] = parts as number[]
  return {
    instances: instances!,
    breakers: breakers!,
    busy: busy!,
    syncInterval: syncInterval!,
    pollInterval,
    commandTimeout,
    nice,
  }
}

function parseArgs(argv: readonly string[]): { points: Point[]; out: string } {
  let out = join(import.meta.dirname, 'measured.json')
  let timeout = 200
  let nice = 0
  const texts: string[] = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? out
    else if (argv[i] === '--timeout') timeout = Number(argv[++i])
    else if (argv[i] === '--nice') nice = Number(argv[++i])
    else texts.push(argv[i]!)
  }
  if (!Number.isInteger(timeout) || timeout <= 0)
    throw new Error('--timeout takes a duration in ms')
  const points = (texts.length > 0 ? texts : DEFAULT_GRID).map((t) => parsePoint(t, timeout, nice))
  return { points, out }
}

/**
 * Raises the priority of the measured redis-server (nice -10, when allowed): on a host shared
 * with other work, Redis is then not descheduled in the middle of a script, and its CPU time
 * and command times are its own work.
 */
async function prioritise(admin: Redis): Promise<void> {
  const pid = /^process_id:(\d+)/m.exec(await admin.info('server'))?.[1]
  if (pid === undefined) return
  try {
    execFileSync('renice', ['-n', String(REDIS_NICE), '-p', pid], { stdio: 'ignore' })
    console.warn(`redis-server (pid ${pid}) at nice ${REDIS_NICE}`)
  } catch {
    console.warn(`could not renice redis-server (pid ${pid}): it runs at the default priority`)
  }
}

function save(out: string, result: Measured): void {
  const all: Measured[] = existsSync(out)
    ? (JSON.parse(readFileSync(out, 'utf8')) as Measured[])
    : []
  all.push(result)
  writeFileSync(out, `${JSON.stringify(all, null, 1)}\n`)
}

async function main(): Promise<void> {
  const { points, out } = parseArgs(process.argv.slice(2))
  const worker = await bundleWorker()
  const server = await startRedis()
  const admin = server.client({ commandTimeout: 10_000 })
  await ready(admin)
  await prioritise(admin)
  const client = server.client({ commandTimeout: 5_000 })
  await ready(client)
  const prefix = 'fleet:'
  // The trips must reach Redis even on a loaded host: a long timeout, not the fallback.
  const tripper = new RedisStore({ client, prefix, commandTimeout: 5_000 })
  try {
    console.log(TABLE_HEAD)
    for (const point of points) {
      const result = await measure({ port: server.port, admin, tripper, prefix, worker }, point)
      save(out, result)
      const row = rowOf(result)
      console.log(row)
    }
  } finally {
    tripper.close()
    admin.disconnect()
    await server.stop()
  }
}

await main()
