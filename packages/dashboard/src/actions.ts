import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CircuitState } from '@tripswitch/core'
import { type ActionBody, readActionBody } from './body.ts'
import type { FleetCache } from './fleet.ts'
import type {
  ActionRequest,
  Authorize,
  DashboardAction,
  ResolvedDashboardOptions,
} from './options.ts'
import { methodNotAllowed, sendError, sendJson } from './respond.ts'

/** The header an action request must carry: a form or an image cannot set it. */
export const ACTION_HEADER = 'x-tripswitch-action'

/** The state each action leads to. */
const TARGET: Readonly<Record<DashboardAction, CircuitState>> = {
  open: 'forced_open',
  disable: 'disabled',
  close: 'closed',
  reset: 'closed',
}

/** What an action needs besides the request. */
export interface ActionContext {
  readonly options: ResolvedDashboardOptions
  readonly fleet: FleetCache | undefined
}

/** The answer of a performed action. */
export interface ActionResult {
  /** Name of the circuit. */
  readonly name: string
  /** The action performed. */
  readonly action: DashboardAction
  /** The circuit's state after it. */
  readonly state: CircuitState
}

/**
 * `POST /api/circuits/:name/:action`. Only a POST with the custom header and a small JSON
 * object body is considered (no cross-site form, image or simple request can make one), and
 * only for a circuit that exists; then `authorize` decides, and the attempt is logged.
 */
export async function handleAction(
  req: IncomingMessage,
  res: ServerResponse,
  request: ActionRequest,
  context: ActionContext,
): Promise<void> {
  if (req.method !== 'POST') return methodNotAllowed(req, res, ['POST'])
  if (req.headers[ACTION_HEADER] !== '1')
    return sendError(
      req,
      res,
      400,
      'bad_request',
      `An action needs the header ${ACTION_HEADER}: 1.`,
    )
  if (mediaType(req.headers['content-type']) !== 'application/json')
    return sendError(req, res, 415, 'unsupported_media_type', 'Send application/json.')
  const body = await readActionBody(req)
  if (body === 'too-large') {
    const message = 'The body must be a JSON object of at most 4096 bytes.'
    return sendError(req, res, 400, 'bad_request', message, { connection: 'close' })
  }
  if (body === 'invalid') {
    const message = 'The body must be {} or { "reason": a string of at most 200 characters }.'
    return sendError(req, res, 400, 'bad_request', message)
  }
  if (!(await knows(request.name, context)))
    return sendError(req, res, 404, 'not_found', 'No such circuit.')
  const decision = await decide(context.options.authorize, req, request)
  writeLog(context.options, request, body, decision)
  if (!decision.allowed) return sendError(req, res, 403, 'forbidden', 'This action is not allowed.')
  const state = await perform(request, context)
  sendJson(req, res, 200, { ...request, state } satisfies ActionResult)
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase()
}

async function knows(name: string, { options, fleet }: ActionContext): Promise<boolean> {
  if (options.registry.has(name)) return true
  if (fleet === undefined || options.store === undefined) return false
  await fleet.current()
  return fleet.get(name) !== undefined
}

interface Decision {
  readonly allowed: boolean
  readonly who: string | null
}

const REFUSED: Decision = { allowed: false, who: null }

/** Asks `authorize`; no authorize, anything but `true` or `{ who }`, a throw or a rejection refuse. */
async function decide(
  authorize: Authorize | undefined,
  req: IncomingMessage,
  request: ActionRequest,
): Promise<Decision> {
  if (authorize === undefined) return REFUSED
  try {
    const result: unknown = await authorize(req, { ...request })
    if (result === true) return { allowed: true, who: null }
    if (typeof result === 'object' && result !== null) {
      const who: unknown = (result as { who?: unknown }).who
      if (typeof who === 'string') return { allowed: true, who: who.slice(0, 200) }
    }
  } catch {
    // Refused: what authorize threw says nothing the client should read.
  }
  return REFUSED
}

function writeLog(
  options: ResolvedDashboardOptions,
  request: ActionRequest,
  body: ActionBody,
  decision: Decision,
): void {
  const entry = { at: Date.now(), who: decision.who, ...request, allowed: decision.allowed }
  try {
    options.log(body.reason === undefined ? entry : { ...entry, reason: body.reason })
  } catch {
    // A failing log must not turn an allowed action into an error, nor a refusal into one.
  }
}

/**
 * Acts through the local breaker when this instance holds one (a shared store then spreads the
 * move to every instance), else on the shared store directly: a forced move, whatever its
 * current generation.
 */
async function perform(
  request: ActionRequest,
  { options, fleet }: ActionContext,
): Promise<CircuitState> {
  const { registry, store } = options
  if (registry.has(request.name)) {
    const breaker = registry.get(request.name)
    if (request.action === 'open') breaker.forceOpen()
    else if (request.action === 'disable') breaker.disable()
    else breaker.reset()
    return breaker.state
  }
  const to = TARGET[request.action]
  const shared = await store!.transition(request.name, {
    fromGeneration: null,
    to,
    openForMs: 0,
    openings: 0,
  })
  void fleet?.refresh()
  return shared.state
}
