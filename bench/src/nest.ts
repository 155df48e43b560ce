/**
 * NestJS scenario (`--nest`): the cost of @tripswitch/nestjs's interceptor on a closed circuit.
 *
 * 1. In process: a handler called through Nest's enhancer pipeline (ExternalContextCreator, the
 *    route handlers' interceptors, guards and filters) without TripswitchModule, and with it
 *    and `@CircuitBreaker()`. No HTTP dilutes the difference: a pessimistic bound.
 * 2. Over HTTP, when @nestjs/platform-express / platform-fastify are installed: requests per
 *    second of GET /hello bare, with a pass-through interceptor and with `@CircuitBreaker()`,
 *    each server in its own child process (this file, run with `serve <platform> <variant>`),
 *    autocannon in the parent, rounds interleaved.
 *
 * This file avoids decorator syntax (tsx compiles the bench without experimentalDecorators):
 * Nest's decorators are applied as functions.
 */
import { fork } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  type CallHandler,
  Controller,
  type DynamicModule,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  type Type,
  UseInterceptors,
} from '@nestjs/common'
import {
  type AbstractHttpAdapter,
  ExternalContextCreator,
  ModulesContainer,
  NestFactory,
} from '@nestjs/core'
import autocannon from 'autocannon'
import type { Observable } from 'rxjs'
import { type BenchConfig, inProcessClock, measure, median, scaledOps } from './harness.ts'
import { formatInt, formatRatio, type Scenario, type Table, timingTable } from './report.ts'

const OPS = 100_000
const CONNECTIONS = 50
const BODY = { hello: 'world' }
const PLATFORMS: Record<'express' | 'fastify', string> = {
  express: '@nestjs/platform-express',
  fastify: '@nestjs/platform-fastify',
}
type Platform = keyof typeof PLATFORMS
// Specifiers in variables: the bench's typecheck would otherwise follow the source condition
// into packages/nestjs/src, whose parameter decorators need experimentalDecorators, and the
// platform packages are optional here.
const NESTJS: string = '@tripswitch/nestjs'

/** The part of @tripswitch/nestjs the bench uses. */
interface TripswitchNest {
  readonly CircuitBreaker: () => MethodDecorator
  readonly TripswitchModule: { forRoot(options: object): DynamicModule }
}

export type Variant = 'bare' | 'noop' | 'guarded'
/** The servers of the HTTP part, in table order. */
const VARIANTS: readonly Variant[] = ['bare', 'noop', 'guarded']

/** A pass-through interceptor: what Nest's interceptor machinery costs by itself. */
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle()
  }
}
Injectable()(NoopInterceptor)

/**
 * The app module: bare, with a no-op interceptor, or with `@CircuitBreaker()` on the handler
 * (breakers in `registry` when given, for the caller to check).
 */
export async function appModule(variant: Variant, registry?: object): Promise<Type> {
  class HelloController {
    hello() {
      return BODY
    }
  }
  const proto = HelloController.prototype
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'hello')!
  const imports: DynamicModule[] = []
  if (variant === 'noop') UseInterceptors(NoopInterceptor)(proto, 'hello', descriptor)
  if (variant === 'guarded') {
    const { CircuitBreaker, TripswitchModule } = (await import(NESTJS)) as TripswitchNest
    CircuitBreaker()(proto, 'hello', descriptor)
    imports.push(TripswitchModule.forRoot(registry === undefined ? {} : { registry }))
  }
  Get('hello')(proto, 'hello', descriptor)
  Controller()(HelloController)
  class AppModule {}
  Module({ imports, controllers: [HelloController] })(AppModule)
  return AppModule
}

interface App {
  readonly close: () => Promise<void>
  readonly call: () => Promise<unknown>
}

/** An application context whose `call()` runs the handler as a request would reach it. */
async function inProcessApp(variant: Variant): Promise<App> {
  const module = await appModule(variant)
  const app = await NestFactory.createApplicationContext(module, { logger: false })
  const [controller] = Reflect.getMetadata('controllers', module) as Type[]
  const instance = app.get<Type, { hello: () => unknown }>(controller!)
  // ExternalContextCreator looks for a host's module among providers; the router knows a
  // controller's module, whose injectables hold the handler's interceptors.
  const moduleKey = [...app.get(ModulesContainer).entries()].find(([, m]) =>
    m.controllers.has(controller!),
  )?.[0]
  const creator = Object.assign(Object.create(app.get(ExternalContextCreator)), {
    getContextModuleKey: () => moduleKey ?? '',
  }) as ExternalContextCreator
  const run = creator.create(instance, instance.hello, 'hello')
  const response = { statusCode: 200, setHeader: () => undefined }
  return { close: () => app.close(), call: () => run({}, response) }
}

async function inProcess(config: BenchConfig): Promise<Table> {
  const bare = await inProcessApp('bare')
  const noop = await inProcessApp('noop')
  const guarded = await inProcessApp('guarded')
  const ops = scaledOps(OPS, config)
  const loop = (app: App) => async (n: number) => {
    for (let i = 0; i < n; i++) await app.call()
  }
  const samples = await measure(
    [
      { name: 'Nest handler, no interceptor', run: loop(bare) },
      { name: '+ a pass-through interceptor', run: loop(noop) },
      { name: '+ @CircuitBreaker() (closed)', run: loop(guarded) },
    ],
    { rounds: config.rounds, warmupRounds: config.warmupRounds, ops, clock: inProcessClock() },
  )
  await Promise.all([bare.close(), noop.close(), guarded.close()])
  return timingTable(
    `8a. NestJS handler through its interceptors, guards and filters, in process (${ops} calls per round)`,
    samples,
    'µs',
    undefined,
    'No HTTP around it: ratios are upper bounds of the cost on a real server. Most of it is' +
      " Nest's interceptor machinery, paid by any interceptor (the pass-through row).",
  )
}

function installed(platform: Platform): boolean {
  try {
    import.meta.resolve(PLATFORMS[platform])
    return true
  } catch {
    return false
  }
}

/** Child process: serves GET /hello on `platform`, sends its port, exits on disconnect. */
async function listen(platform: Platform, variant: Variant): Promise<number> {
  const module = await appModule(variant)
  const name = platform === 'express' ? 'ExpressAdapter' : 'FastifyAdapter'
  const exports = (await import(PLATFORMS[platform])) as Record<
    string,
    new () => AbstractHttpAdapter
  >
  const adapter = new exports[name]!()
  const app = await NestFactory.create(module, adapter, { logger: false })
  await app.listen(0, '127.0.0.1')
  return (app.getHttpServer().address() as AddressInfo).port
}

function serve(platform: Platform, variant: Variant): Promise<{ port: number; stop: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', platform, variant], {
    stdio: 'inherit',
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`nest ${platform} server exited with ${code}`)))
    child.once('message', (message: unknown) => {
      child.removeAllListeners('exit')
      const port = (message as { port?: unknown }).port
      if (typeof port === 'number') resolve({ port, stop: () => child.disconnect() })
      else reject(new Error(`nest ${platform} server sent ${JSON.stringify(message)}`))
    })
  })
}

async function requestsPerSecond(port: number, seconds: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/hello`
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds })
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`nest load on ${port} failed`)
  return result.requests.average
}

async function overHttp(config: BenchConfig): Promise<Table | null> {
  const platforms = (Object.keys(PLATFORMS) as Platform[]).filter(installed)
  if (platforms.length === 0) return null
  const rounds = config.scale < 1 ? 1 : 5
  const rows: string[][] = []
  for (const platform of platforms) {
    const servers = await Promise.all(VARIANTS.map((variant) => serve(platform, variant)))
    try {
      const rps: number[][] = VARIANTS.map(() => [])
      for (const server of servers) await requestsPerSecond(server.port, 1)
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < servers.length; k++) {
          const index = (round + k) % servers.length
          rps[index]!.push(await requestsPerSecond(servers[index]!.port, 1))
        }
      }
      const [bare, noop, guarded] = rps.map(median) as [number, number, number]
      rows.push([`nest ${platform}`, formatInt(bare), '1.00×', ''])
      rows.push([
        `nest ${platform} + pass-through interceptor`,
        formatInt(noop),
        formatRatio(noop / bare),
        '1.00×',
      ])
      rows.push([
        `nest ${platform} + @CircuitBreaker()`,
        formatInt(guarded),
        formatRatio(guarded / bare),
        formatRatio(guarded / noop),
      ])
    } finally {
      for (const server of servers) server.stop()
    }
  }
  return {
    title: `8b. NestJS HTTP GET /hello, autocannon ${CONNECTIONS} connections, ${rounds} rounds of 1 s`,
    head: ['server', 'median req/s', 'vs bare', 'vs pass-through'],
    rows,
    note:
      'For information (5c is the in-process figure). Server and load generator share this machine. Any' +
      " interceptor pays Nest's interceptor machinery (the pass-through row); the last column is" +
      " @CircuitBreaker()'s own share.",
  }
}

export const nest: Scenario = {
  id: 'nest',
  title: 'NestJS interceptor',
  async run(config: BenchConfig) {
    const tables = [await inProcess(config)]
    const http = await overHttp(config)
    if (http !== null) tables.push(http)
    else
      console.log(
        '\n8b. skipped: neither @nestjs/platform-express nor platform-fastify is installed',
      )
    return { tables, checks: [] }
  },
}

if (process.send !== undefined && process.argv[2] === 'serve') {
  const platform = process.argv[3]
  if (platform !== 'express' && platform !== 'fastify') throw new Error(`unknown ${platform}`)
  const variant = VARIANTS.find((name) => name === process.argv[4])
  if (variant === undefined) throw new Error(`unknown variant ${process.argv[4]}`)
  process.send({ port: await listen(platform, variant) })
  process.on('disconnect', () => process.exit(0))
}
