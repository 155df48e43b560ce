import type { INestApplication, Type } from '@nestjs/common'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import { afterEach } from 'vitest'

/** Makes a fresh platform adapter. */
export type AdapterFactory = () => ExpressAdapter | FastifyAdapter

/** The two platforms, each as a factory: an adapter serves one application only. */
export const PLATFORMS: ReadonlyArray<readonly [string, AdapterFactory]> = [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
]

/** What the client received. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
}

const running: INestApplication[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map(close))
})

/**
 * Closes `app` without waiting for fetch's spare connections: one that has carried no request
 * is not idle to Node, and close would wait out its keep-alive (4 s).
 */
function close(app: INestApplication): Promise<void> {
  const server: unknown = app.getHttpServer()
  ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
  return app.close()
}

/** A started server for one test, closed after it. */
export interface Server {
  readonly app: INestApplication
  readonly get: (path: string) => Promise<Answer>
}

/**
 * Compiles `module` with `@nestjs/testing`, serves it on the platform on a free port of the
 * loopback and returns a client for it; the application is closed after the test.
 */
export async function serve(module: Type, adapter: AdapterFactory): Promise<Server> {
  const testing = await Test.createTestingModule({ imports: [module] }).compile()
  const platform = adapter()
  const app =
    platform instanceof FastifyAdapter
      ? testing.createNestApplication<NestFastifyApplication>(platform, { logger: false })
      : testing.createNestApplication(platform, { logger: false })
  running.push(app)
  await app.listen(0, '127.0.0.1')
  const url = await app.getUrl()
  return {
    app,
    get: async (path) => {
      const response = await fetch(`${url}${path}`)
      const text = await response.text()
      const json = response.headers.get('content-type')?.includes('application/json')
      return {
        status: response.status,
        headers: response.headers,
        body: json ? (JSON.parse(text) as unknown) : text,
      }
    },
  }
}

/** Requests `path` `count` times in a row; returns the statuses. */
export async function statuses(server: Server, path: string, count: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await server.get(path)).status)
  return out
}
