import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * The part of a Fastify instance the dashboard's plugin uses, declared here so the package
 * needs no Fastify dependency; a `FastifyInstance` is one.
 */
export interface FastifyScope {
  /** The prefix the plugin was registered with. */
  readonly prefix: string
  removeAllContentTypeParsers(): void
  addContentTypeParser(
    contentType: string,
    parser: (request: unknown, payload: unknown, done: (error: null) => void) => void,
  ): unknown
  all(
    path: string,
    handler: (
      request: { readonly raw: IncomingMessage },
      reply: { readonly raw: ServerResponse; hijack(): unknown },
    ) => void,
  ): unknown
}

/**
 * A Fastify plugin serving the dashboard under the prefix it is registered with:
 * `app.register(dashboard.fastifyPlugin, { prefix: '/circuits' })`.
 */
export type FastifyDashboardPlugin = (scope: FastifyScope, options: object) => Promise<void>

/** Serves a request inside the dashboard mounted at `prefix`. */
export type ServeAt = (req: IncomingMessage, res: ServerResponse, prefix: string) => void

/**
 * Makes the plugin: in its own encapsulated scope, the dashboard's routes take the raw request
 * and response (`reply.hijack()`), and no content-type parser reads the body first, so an
 * action's body reaches the dashboard, which checks and reads it itself.
 */
export function fastifyPlugin(serveAt: ServeAt): FastifyDashboardPlugin {
  return async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null))
    const route = (
      request: { readonly raw: IncomingMessage },
      reply: { readonly raw: ServerResponse; hijack(): unknown },
    ): void => {
      reply.hijack()
      serveAt(request.raw, reply.raw, scope.prefix)
    }
    scope.all('/', route)
    scope.all('/*', route)
  }
}
