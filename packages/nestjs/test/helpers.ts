import { HttpException, type INestApplicationContext, type Type } from '@nestjs/common'
import { ExternalContextCreator, ModulesContainer, NestFactory } from '@nestjs/core'
import { afterEach } from 'vitest'

// Fast in-process tests: handlers run through Nest's own enhancer pipeline
// (ExternalContextCreator: the handler's and controller's interceptors, guards, filters) on an
// application context, with responses shaped like each platform's: Express's `res.setHeader`
// and Fastify's `reply.header`. e2e.test.ts runs the same behaviour on real servers.

/** A response object as a platform hands it to interceptors. */
export interface FakeResponse {
  statusCode: number
  readonly headers: Record<string, string>
}

/** The two response shapes the interceptor must handle. */
export const PLATFORMS: ReadonlyArray<readonly [string, () => FakeResponse]> = [
  [
    'express',
    () => {
      const headers: Record<string, string> = {}
      return { statusCode: 200, headers, setHeader: (k: string, v: string) => (headers[k] = v) }
    },
  ],
  [
    'fastify',
    () => {
      const headers: Record<string, string> = {}
      return { statusCode: 200, headers, header: (k: string, v: string) => (headers[k] = v) }
    },
  ],
]

/** What a client would receive, the way Nest's default exception filter answers. */
export interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers: Record<string, string>
}

const open: INestApplicationContext[] = []

afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()))
})

/** Boots `module` as an application context; closed after the test. */
export async function boot(module: Type): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, {
    logger: false,
    abortOnError: false,
  })
  open.push(app)
  return app
}

/** Calls `controller.method` through the application's enhancers, as a request would. */
export function caller<T extends object>(
  app: INestApplicationContext,
  controller: Type<T>,
  method: keyof T & string,
  platform: () => FakeResponse,
): () => Promise<Answer> {
  const instance = app.get(controller)
  const callback = instance[method] as (...args: unknown[]) => unknown
  const creator = app.get(ExternalContextCreator)
  // ExternalContextCreator finds a host's module among providers; the router knows a
  // controller's module. Without it, enhancers bound to the controller's module (those of
  // @UseInterceptors, which @CircuitBreaker() uses) would not be found.
  const moduleKey = [...app.get(ModulesContainer).entries()].find(([, module]) =>
    module.controllers.has(controller),
  )?.[0]
  const run = Object.assign(Object.create(creator) as ExternalContextCreator, {
    getContextModuleKey: () => moduleKey ?? '',
  }).create(instance, callback, method)
  return async () => {
    const response = platform()
    try {
      const body: unknown = await run({}, response)
      return { status: response.statusCode, body, headers: response.headers }
    } catch (error) {
      if (error instanceof HttpException)
        return { status: error.getStatus(), body: error.getResponse(), headers: response.headers }
      return { status: 500, body: { statusCode: 500 }, headers: response.headers }
    }
  }
}

/** Calls `count` times in a row; returns the statuses. */
export async function statuses(call: () => Promise<Answer>, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await call()).status)
  return out
}
