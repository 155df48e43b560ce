import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ActionContext, handleAction } from './actions.ts'
import { asset, renderPage } from './assets.ts'
import { EventHub } from './event-stream.ts'
import { type FastifyDashboardPlugin, fastifyPlugin } from './fastify.ts'
import { FleetCache } from './fleet.ts'
import { CallRates, History } from './history.ts'
import type { DashboardOptions } from './options.ts'
import { parseOptions } from './parse-options.ts'
import { CONTENT_SECURITY_POLICY, methodNotAllowed, send, sendError, sendJson } from './respond.ts'
import { type Located, locate, type Route } from './route.ts'
import { StateSource } from './state.ts'
import { TransitionLog } from './transitions.ts'

/** What a request outside the dashboard's paths is handed to (Express's `next`). */
export type NextFunction = (error?: unknown) => void

/**
 * The dashboard: a `node:http` request handler (`(req, res, next?)`), usable as Express
 * middleware as is, with `close()` to end its streams and timers.
 */
export interface Dashboard {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void
  /** Ends every event stream and stops the timers; the handler still answers requests. */
  close(): void
  /**
   * The same dashboard as a Fastify plugin, served under the prefix it is registered with:
   * `app.register(dashboard.fastifyPlugin, { prefix: '/circuits' })`.
   */
  readonly fastifyPlugin: FastifyDashboardPlugin
}

const READ = ['GET', 'HEAD']

/**
 * Creates the dashboard of `registry`: the page, its JSON API and its event stream. Without
 * `authorize` it is read-only.
 *
 * ```ts
 * app.use('/circuits', createDashboard({ registry, authorize: (req) => isAdmin(req) }))
 * ```
 * @throws {InvalidOptionsError} naming the option when an option is invalid.
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const resolved = parseOptions(options)
  const fleet =
    resolved.fleet === undefined ? undefined : new FleetCache(resolved.fleet, resolved.intervalMs)
  const history = new History(resolved.sampleMs)
  const rates = new CallRates(resolved.intervalMs)
  const hub: EventHub = new EventHub(resolved.maxClients, resolved.intervalMs, async () =>
    JSON.stringify(await source.state()),
  )
  const transitions = new TransitionLog(resolved.registry, (view) =>
    hub.broadcast('transition', JSON.stringify(view)),
  )
  const source = new StateSource({ options: resolved, fleet, rates, history, transitions })
  const sampler = setInterval(() => source.sample(), resolved.sampleMs)
  sampler.unref()
  source.sample()
  const context: ActionContext = { options: resolved, fleet }

  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction | undefined,
    basePath: string,
  ): void => {
    const located = locate(req, basePath)
    if (located === null || located.route === null) {
      outside(req, res, next)
      return
    }
    serve(req, res, located as Located & { route: Route }).catch(() => failed(req, res))
  }
  const handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void =>
    handle(req, res, next, resolved.basePath)

  async function serve(req: IncomingMessage, res: ServerResponse, at: Located & { route: Route }) {
    const { route, prefix } = at
    if (route.kind === 'action')
      return handleAction(req, res, { action: route.action, name: route.name }, context)
    if (route.kind === 'bad-name')
      return sendError(
        req,
        res,
        400,
        'bad_request',
        'The circuit name is not valid percent-encoding.',
      )
    if (!READ.includes(req.method ?? '')) return methodNotAllowed(req, res, READ)
    switch (route.kind) {
      case 'redirect':
        return send(req, res, 302, 'text/plain; charset=utf-8', 'Found', { location: `${prefix}/` })
      case 'page':
        return send(req, res, 200, 'text/html; charset=utf-8', renderPage(prefix), {
          'content-security-policy': CONTENT_SECURITY_POLICY,
        })
      case 'asset': {
        const { contentType, body } = asset(route.asset)
        return send(req, res, 200, contentType, body)
      }
      case 'list':
        return sendJson(req, res, 200, await source.state())
      case 'events':
        return hub.connect(req, res)
      case 'circuit': {
        const detail = await source.detail(route.name)
        if (detail === undefined) return sendError(req, res, 404, 'not_found', 'No such circuit.')
        return sendJson(req, res, 200, detail)
      }
    }
  }

  return Object.assign(handler, {
    fastifyPlugin: fastifyPlugin((req, res, prefix) =>
      handle(req, res, undefined, prefix.replace(/\/+$/, '')),
    ),
    close(): void {
      clearInterval(sampler)
      transitions.close()
      hub.close()
    },
  })
}

function outside(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined): void {
  if (next !== undefined) next()
  else sendError(req, res, 404, 'not_found', 'Not found.')
}

/** An unexpected failure: a bare 500, or the end of a stream already started. */
function failed(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) res.end()
  else sendError(req, res, 500, 'internal', 'The dashboard could not answer.')
}
