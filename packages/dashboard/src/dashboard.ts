import type { IncomingMessage, ServerResponse } from 'node:http'
import { type ActionContext, handleAction } from './actions.ts'
import { renderPage } from './assets.ts'
import { EventHub } from './event-stream.ts'
import { type FastifyDashboardPlugin, fastifyPlugin } from './fastify.ts'
import { FleetCache } from './fleet.ts'
import { CallRates, History } from './history.ts'
import type { DashboardOptions, ResolvedDashboardOptions } from './options.ts'
import { parseOptions } from './parse-options.ts'
import { CONTENT_SECURITY_POLICY, methodNotAllowed, send, sendError, sendJson } from './respond.ts'
import { locate, type Route } from './route.ts'
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

/** The working parts of one dashboard. */
interface Parts {
  readonly source: StateSource
  readonly hub: EventHub
  readonly transitions: TransitionLog
  readonly sampler: NodeJS.Timeout
  readonly actions: ActionContext
}

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
  const parts = assemble(resolved)
  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction | undefined,
    basePath: string,
  ): void => {
    const located = locate(req, basePath)
    if (located === null || located.route === null) outside(req, res, next)
    else serve(req, res, located.route, located.prefix, parts).catch(() => failed(req, res))
  }
  const handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void =>
    handle(req, res, next, resolved.basePath)
  return Object.assign(handler, {
    fastifyPlugin: fastifyPlugin((req, res, prefix) =>
      handle(req, res, undefined, prefix.replace(/\/+$/, '')),
    ),
    close(): void {
      clearInterval(parts.sampler)
      parts.transitions.close()
      parts.hub.close()
    },
  })
}

function assemble(options: ResolvedDashboardOptions): Parts {
  const fleet =
    options.fleet === undefined ? undefined : new FleetCache(options.fleet, options.intervalMs)
  const history = new History(options.sampleMs)
  // A little under the interval: a tick that fires a millisecond early still gets a new rate.
  const rates = new CallRates(options.intervalMs * 0.9)
  const hub: EventHub = new EventHub(options.maxClients, options.intervalMs, async () =>
    JSON.stringify(await source.state()),
  )
  const transitions = new TransitionLog(options.registry, (view) =>
    hub.broadcast('transition', JSON.stringify(view)),
  )
  const source = new StateSource({ options, fleet, rates, history, transitions })
  const sampler = setInterval(() => source.sample(), options.sampleMs)
  sampler.unref()
  source.sample()
  return { source, hub, transitions, sampler, actions: { options, fleet } }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  prefix: string,
  parts: Parts,
): Promise<void> {
  if (route.kind === 'action') {
    const request = { action: route.action, name: route.name }
    return handleAction(req, res, request, parts.actions)
  }
  if (route.kind === 'bad-name') {
    const message = 'The circuit name is not valid percent-encoding.'
    return sendError(req, res, 400, 'bad_request', message)
  }
  if (!READ.includes(req.method ?? '')) return methodNotAllowed(req, res, READ)
  switch (route.kind) {
    case 'redirect':
      return send(req, res, 302, 'text/plain; charset=utf-8', 'Found', { location: `${prefix}/` })
    case 'page':
      return send(req, res, 200, 'text/html; charset=utf-8', renderPage(prefix), {
        'content-security-policy': CONTENT_SECURITY_POLICY,
      })
    case 'asset': {
      const { contentType, body } = route.asset
      return send(req, res, 200, contentType, body)
    }
    case 'list':
      return sendJson(req, res, 200, await parts.source.state())
    case 'events':
      return parts.hub.connect(req, res)
    case 'circuit': {
      const detail = await parts.source.detail(route.name)
      if (detail === undefined) return sendError(req, res, 404, 'not_found', 'No such circuit.')
      return sendJson(req, res, 200, detail)
    }
  }
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
