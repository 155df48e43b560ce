/**
 * Scenario 5: time each adapter adds to one request, in process, against the same app without
 * it. No sockets in the timed loop, so a difference of a few hundred nanoseconds is visible
 * (HTTP req/s on a shared 2-core machine swings by ±30 % between runs and cannot show it):
 *
 * - Express, Fastify and Nest (on its Express platform): a real `http.IncomingMessage` /
 *   `ServerResponse` pair over a socket stand-in that discards what is written, handed to the
 *   function an `http.Server` would call (the Express app; Fastify's `app.routing`, which is its
 *   server's request listener; Nest's underlying Express app after `init()`), awaited until the
 *   response emits `finish`. This is what light-my-request and `app.inject()` do, minus their
 *   payload parsing and a `setImmediate` per write, which add tens of µs of noise per request.
 * - axios: an instance whose `adapter` answers at once, so only axios's own request pipeline and
 *   the interceptors run.
 *
 * Each adapter is measured against its bare app in interleaved rounds (every contender once per
 * round, rotating order, forced GC before each); the added time is the median over rounds of
 * the per-round difference (paired). Every guarded app gets its own registry, and the run fails
 * if its breakers did not see every request as a success.
 *
 * Bytes allocated per request are measured too, in rounds of their own (see allocation.ts): time
 * on a shared machine swings with its load, allocation hardly does, so that column shows a
 * change an adapter makes when the µs cannot. The µs stay the checked figure.
 */

import { IncomingMessage, type RequestListener, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Writable } from 'node:stream'
import fastifyBreaker from '@fastify/circuit-breaker'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { attachCircuitBreaker } from '@tripswitch/axios'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { circuitBreaker as expressBreaker } from '@tripswitch/express'
import tripswitchFastify from '@tripswitch/fastify'
import axios, { type AxiosResponse, type InternalAxiosRequestConfig } from 'axios'
import express, { type RequestHandler } from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { type AllocationSamples, measureAllocation } from './allocation.ts'
import {
  type BenchConfig,
  type Contender,
  inProcessClock,
  measure,
  median,
  quantile,
  type Samples,
  scaledOps,
} from './harness.ts'
import { appModule } from './nest.ts'
import { ownCodeUs } from './own-code.ts'
import {
  formatInt,
  formatRatio,
  formatUs,
  type Scenario,
  type Table,
  type TargetCheck,
} from './report.ts'

/** Target: at most this many µs added per request by each adapter. */
const TARGET_US = 2
const BODY = { hello: 'world' }
const OPS_EXPRESS = 500
const OPS_FASTIFY = 2_000
const OPS_NEST = 500
const OPS_AXIOS = 1_000

/**
 * Twice the usual warm-up: Nest and Express reach their steady state after a few thousand
 * requests. A full GC before each round: Express (and Nest on it) gives every request a hidden
 * class of its own, which piles up in the old generation until a full GC, and one landing in a
 * round at random made the Express rows swing by 3× between rounds.
 */
const roundsOf = (config: BenchConfig, ops: number) => ({
  rounds: config.rounds,
  warmupRounds: config.warmupRounds * 2,
  ops,
  clock: inProcessClock(),
  gc: 'full' as const,
})

/** A difference in µs with its sign. */
const signedUs = (ns: number): string => `${ns < 0 ? '' : '+'}${formatUs(ns)}`

/** A difference in bytes with its sign. */
const signedInt = (n: number): string => `${n < 0 ? '' : '+'}${formatInt(n)}`

/** Median over rounds of (contender − baseline), paired round by round, in ns. */
export function addedNs(samples: Samples, baseline: Samples): number {
  return median(samples.nsPerOp.map((ns, round) => ns - baseline.nsPerOp[round]!))
}

type DispatchFunc = RequestListener

/** Time per request (the checked figure), then bytes allocated per request, for each contender. */
async function measureBoth(
  contenders: readonly Contender[],
  config: BenchConfig,
  ops: number,
): Promise<Pick<Group, 'samples' | 'bytes' | 'ownUs'>> {
  const samples = await measure(contenders, roundsOf(config, ops))
  // Bytes barely move between rounds: half the rounds are plenty.
  const bytes = await measureAllocation(contenders, Math.max(3, Math.ceil(config.rounds / 2)), ops)
  // A profile wants more samples than a round has requests: four rounds' worth, once.
  const ownUs: number[] = []
  for (const contender of contenders) ownUs.push(await ownCodeUs(contender.run, ops * 4))
  return { samples, bytes, ownUs }
}

/** Median over rounds of (contender − baseline) bytes per request, paired round by round. */
function addedBytes(samples: AllocationSamples, baseline: AllocationSamples): number {
  return median(samples.bytesPerOp.map((b, round) => b - baseline.bytesPerOp[round]!))
}

/** Stands in for a connected socket: accepts every write at once and discards it. */
class NullSocket extends Writable {
  readonly remoteAddress = '127.0.0.1'
  override _write(_chunk: unknown, _encoding: unknown, callback: () => void): void {
    callback()
  }
  setTimeout(): this {
    return this
  }
}

/** GET `url` through `dispatch` without a real socket; resolves on `finish`, throws unless 200. */
function get(dispatch: DispatchFunc, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new NullSocket() as unknown as Socket
    const req = new IncomingMessage(socket)
    req.method = 'GET'
    req.url = url
    req.headers = { host: 'localhost' }
    req.push(null)
    const res = new ServerResponse(req)
    res.assignSocket(socket)
    res.once('finish', () => {
      if (res.statusCode === 200) resolve()
      else reject(new Error(`GET ${url} answered ${res.statusCode}`))
    })
    dispatch(req, res)
  })
}

/** Fails the run unless the registry's breakers saw `min` or more calls, all successful. */
function assertGuarded(label: string, registry: CircuitBreakerRegistry, min: number): void {
  const totals = registry.list().map((b) => b.snapshot().totals)
  const calls = totals.reduce((sum, t) => sum + t.calls, 0)
  const successful = totals.reduce((sum, t) => sum + t.successful, 0)
  if (totals.length === 0 || calls < min || successful !== calls) {
    throw new Error(
      `[adapters] ${label}: ${totals.length} breakers, ${calls} calls, ${successful} successful: the adapter did not guard every request`,
    )
  }
}

interface Group {
  readonly adapter: string
  readonly title: string
  readonly samples: Samples[]
  /** Bytes allocated per request, per row (same order as `samples`). */
  readonly bytes: AllocationSamples[]
  /** µs per request in Tripswitch's own functions, per row (see own-code.ts). */
  readonly ownUs: readonly number[]
  /**
   * Rows (by index) whose added time is checked against the target, each against its baseline
   * row: the bare app, or the framework's own pass-through where any middleware or interceptor
   * in that place costs something (Express's app.use layer, Nest's interceptor machinery).
   */
  readonly checked: readonly (readonly [row: number, baseline: number])[]
  readonly note?: string
}

function expressApp(guard: RequestHandler | null, use = false): DispatchFunc {
  const app = express()
  const handler: RequestHandler = (_req, res) => {
    res.json(BODY)
  }
  if (guard !== null && use) app.use(guard)
  if (guard === null || use) app.get('/hello', handler)
  else app.get('/hello', guard, handler)
  return app as unknown as DispatchFunc
}

async function expressGroup(config: BenchConfig, ops: number): Promise<Group> {
  const onRoute = new CircuitBreakerRegistry()
  const onUse = new CircuitBreakerRegistry()
  const bare = expressApp(null)
  const guarded = expressApp(expressBreaker({ registry: onRoute }))
  const used = expressApp(expressBreaker({ registry: onUse }), true)
  const passThrough = expressApp((_req, _res, next) => next(), true)
  const loop =
    (app: DispatchFunc): Contender['run'] =>
    async (n) => {
      for (let i = 0; i < n; i++) await get(app, '/hello')
    }
  const measured = await measureBoth(
    [
      { name: 'express', run: loop(bare) },
      { name: '+ circuitBreaker() on the route', run: loop(guarded) },
      { name: '+ app.use(circuitBreaker())', run: loop(used) },
      { name: '+ app.use(a pass-through middleware) (for comparison)', run: loop(passThrough) },
    ],
    config,
    ops,
  )
  assertGuarded('express route', onRoute, ops)
  assertGuarded('express app.use', onUse, ops)
  return {
    adapter: 'Express',
    title: 'Express 5, GET /hello (JSON) into the app, no socket',
    ...measured,
    checked: [
      [1, 0],
      [2, 3],
    ],
    note:
      "The pass-through row is Express's own app.use layer, which any middleware there pays;" +
      ` app.use(circuitBreaker()) over it: ${signedUs(addedNs(measured.samples[2]!, measured.samples[3]!))} µs,` +
      ` ${signedInt(addedBytes(measured.bytes[2]!, measured.bytes[3]!))} bytes.`,
  }
}

async function fastifyApp(
  setup: (app: FastifyInstance) => Promise<void>,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await setup(app)
  await app.ready()
  return app
}

async function fastifyGroup(config: BenchConfig, ops: number): Promise<Group> {
  const bare = await fastifyApp(async (app) => {
    app.get('/hello', async () => BODY)
  })
  const configured = await fastifyApp(async (app) => {
    await app.register(tripswitchFastify)
    app.get('/hello', { config: { circuitBreaker: {} } }, async () => BODY)
  })
  const preHandler = await fastifyApp(async (app) => {
    await app.register(tripswitchFastify)
    app.get('/hello', { preHandler: app.circuitBreaker() }, async () => BODY)
  })
  const theirs = await fastifyApp(async (app) => {
    await app.register(fastifyBreaker)
    app.get('/hello', { preHandler: app.circuitBreaker() }, async () => BODY)
  })
  const loop =
    (app: FastifyInstance): Contender['run'] =>
    async (n) => {
      const dispatch = app.routing as DispatchFunc
      for (let i = 0; i < n; i++) await get(dispatch, '/hello')
    }
  try {
    const measured = await measureBoth(
      [
        { name: 'fastify', run: loop(bare) },
        { name: '+ @tripswitch/fastify, route config', run: loop(configured) },
        { name: '+ @tripswitch/fastify, preHandler', run: loop(preHandler) },
        { name: '+ @fastify/circuit-breaker (for comparison)', run: loop(theirs) },
      ],
      config,
      ops,
    )
    assertGuarded('fastify route config', configured.circuitBreakers, ops)
    assertGuarded('fastify preHandler', preHandler.circuitBreakers, ops)
    return {
      adapter: 'Fastify',
      title: 'Fastify 5, GET /hello (JSON) into app.routing, no socket',
      ...measured,
      checked: [
        [1, 0],
        [2, 0],
      ],
    }
  } finally {
    await Promise.all([bare, configured, preHandler, theirs].map((app) => app.close()))
  }
}

async function nestGroup(config: BenchConfig, ops: number): Promise<Group> {
  const registry = new CircuitBreakerRegistry()
  const apps: INestApplication[] = []
  const create = async (module: Parameters<typeof NestFactory.create>[0]) => {
    const app = await NestFactory.create(module, new ExpressAdapter(), { logger: false })
    await app.init()
    apps.push(app)
    return app.getHttpAdapter().getInstance() as DispatchFunc
  }
  const bare = await create(await appModule('bare'))
  const noop = await create(await appModule('noop'))
  const guarded = await create(await appModule('guarded', registry))
  const loop =
    (app: DispatchFunc): Contender['run'] =>
    async (n) => {
      for (let i = 0; i < n; i++) await get(app, '/hello')
    }
  try {
    const measured = await measureBoth(
      [
        { name: 'nest (platform-express)', run: loop(bare) },
        { name: '+ a pass-through interceptor (for comparison)', run: loop(noop) },
        { name: '+ @CircuitBreaker()', run: loop(guarded) },
      ],
      config,
      ops,
    )
    assertGuarded('nest @CircuitBreaker()', registry, ops)
    return {
      adapter: 'Nest',
      title: 'NestJS 11 on Express, GET /hello (JSON) into the app, no socket',
      ...measured,
      checked: [[2, 1]],
      note:
        "The pass-through row is Nest's interceptor machinery, which any interceptor pays;" +
        ` @CircuitBreaker() over it: ${signedUs(addedNs(measured.samples[2]!, measured.samples[1]!))} µs,` +
        ` ${signedInt(addedBytes(measured.bytes[2]!, measured.bytes[1]!))} bytes.`,
    }
  } finally {
    await Promise.all(apps.map((app) => app.close()))
  }
}

// Answers at once: what remains is axios's request pipeline and the interceptors.
const immediate = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => ({
  data: BODY,
  status: 200,
  statusText: 'OK',
  headers: {},
  config,
})

async function axiosGroup(config: BenchConfig, ops: number): Promise<Group> {
  const origin = new CircuitBreakerRegistry()
  const fixed = new CircuitBreakerRegistry()
  const instance = (setup?: (http: ReturnType<typeof axios.create>) => void) => {
    const http = axios.create({ baseURL: 'http://upstream.test', adapter: immediate })
    setup?.(http)
    return http
  }
  const bare = instance()
  const byOrigin = instance((http) => attachCircuitBreaker(http, { registry: origin }))
  const byKey = instance((http) =>
    attachCircuitBreaker(http, { registry: fixed, key: () => 'upstream' }),
  )
  const noop = instance((http) => {
    http.interceptors.request.use(async (c) => c)
    http.interceptors.response.use((r) => r)
  })
  const loop =
    (http: ReturnType<typeof axios.create>): Contender['run'] =>
    async (n) => {
      for (let i = 0; i < n; i++) await http.get('/hello')
    }
  const measured = await measureBoth(
    [
      { name: 'axios', run: loop(bare) },
      { name: '+ attachCircuitBreaker (origin key)', run: loop(byOrigin) },
      { name: '+ attachCircuitBreaker (fixed key)', run: loop(byKey) },
      { name: '+ a no-op async interceptor pair (for comparison)', run: loop(noop) },
    ],
    config,
    ops,
  )
  assertGuarded('axios origin key', origin, ops)
  assertGuarded('axios fixed key', fixed, ops)
  return {
    adapter: 'axios',
    title: 'axios 1, GET /hello through an adapter that answers at once',
    ...measured,
    checked: [
      [1, 0],
      [2, 0],
    ],
  }
}

function groupTable(index: string, group: Group): Table {
  const [bare] = group.samples
  const [bareBytes] = group.bytes
  const rows = group.samples.map((s, i) => [
    s.name,
    formatUs(median(s.nsPerOp)),
    `${formatUs(quantile(s.nsPerOp, 0.1))} – ${formatUs(quantile(s.nsPerOp, 0.9))}`,
    i === 0 ? '' : signedUs(addedNs(s, bare!)),
    i === 0
      ? '1.00×'
      : formatRatio(median(s.nsPerOp.map((ns, round) => ns / bare!.nsPerOp[round]!))),
    formatInt(median(group.bytes[i]!.bytesPerOp)),
    i === 0 ? '' : signedInt(addedBytes(group.bytes[i]!, bareBytes!)),
    formatUs(group.ownUs[i]! * 1000),
  ])
  const head = [
    'contender',
    'median µs/req',
    'p10 – p90 µs/req',
    'added µs',
    `vs ${bare!.name}`,
    'bytes/req',
    'added bytes',
    'own code µs',
  ]
  const table = { title: `${index}. ${group.title}`, head, rows }
  return group.note === undefined ? table : { ...table, note: group.note }
}

function groupChecks(group: Group): TargetCheck[] {
  return group.checked.map(([row, base]) => {
    const s = group.samples[row]!
    const baseline = group.samples[base]!
    const added = addedNs(s, baseline)
    const over =
      base === 0
        ? ''
        : ` over ${baseline.name.replace(/^\+ /, '').replace(/ \(for comparison\)$/, '')}`
    return {
      label: `${group.adapter} ${s.name.replace(/^\+ /, '')}: added ≤ ${TARGET_US} µs per request${over}`,
      actual: `${signedUs(added)} µs on ${formatUs(median(baseline.nsPerOp))} µs`,
      pass: added / 1000 <= TARGET_US,
    }
  })
}

export const adapters: Scenario = {
  id: 'adapters',
  title: 'adapter cost per request, in process',
  async run(config: BenchConfig) {
    const groups = [
      await expressGroup(config, scaledOps(OPS_EXPRESS, config)),
      await fastifyGroup(config, scaledOps(OPS_FASTIFY, config)),
      await nestGroup(config, scaledOps(OPS_NEST, config)),
      await axiosGroup(config, scaledOps(OPS_AXIOS, config)),
    ]
    const tables = groups.map((g, i) => groupTable(`5${'abcd'[i]}`, g))
    const last = tables.length - 1
    tables[last] = {
      ...tables[last]!,
      note:
        'added µs = median over rounds of the per-round difference against the first row (paired); no sockets in the loop.' +
        ' bytes/req = heap allocated per request (v8.GCProfiler: heap growth plus what each GC freed), median over rounds; added bytes likewise paired. Steadier than µs under load; µs stays the checked figure.' +
        " own code µs = CPU time per request in Tripswitch's own functions, from a CPU profile (self time: not the builtins and framework code they cause to run; 0 for the rows without Tripswitch).",
    }
    return { tables, checks: groups.flatMap(groupChecks) }
  },
}
