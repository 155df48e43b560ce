import type { ExecutionContext } from '@nestjs/common'

interface HeaderTarget {
  setHeader?: (name: string, value: string) => unknown
  header?: (name: string, value: string) => unknown
  statusCode?: unknown
}

// `getArgByIndex(1)` is what `switchToHttp().getResponse()` returns, without the three closures
// Nest's switchToHttp() assigns onto the context on every call.
function responseOf(context: ExecutionContext): HeaderTarget | undefined {
  if (context.getType() !== 'http') return undefined
  const response: unknown = context.getArgByIndex(1)
  return typeof response === 'object' && response !== null ? (response as HeaderTarget) : undefined
}

/**
 * Sets headers on the platform's response: Express (a Node `ServerResponse`) has `setHeader`,
 * a Fastify reply has `header`. Outside HTTP (RPC, WebSockets) there is nothing to set.
 */
export function setHeaders(
  context: ExecutionContext,
  headers: Readonly<Record<string, string>>,
): void {
  const response = responseOf(context)
  if (response === undefined) return
  for (const [name, value] of Object.entries(headers)) {
    if (typeof response.setHeader === 'function') response.setHeader(name, value)
    else if (typeof response.header === 'function') response.header(name, value)
  }
}

/**
 * The status the response will be sent with. Nest sets it (201 for POST, `@HttpCode()`) before
 * interceptors run, on both platforms' `statusCode`.
 */
export function statusOf(context: ExecutionContext): number | undefined {
  const status = responseOf(context)?.statusCode
  return typeof status === 'number' ? status : undefined
}

/** The Node response under a platform's response: Express's is one, a Fastify reply has `raw`. */
export interface NodeResponse {
  readonly writableFinished?: boolean
  /** True once the response has emitted `close` (Node >= 18). */
  readonly closed?: boolean
  on(event: 'close', listener: () => void): unknown
}

type On = NodeResponse['on']

// Each property read on an Express response is a lookup V8 cannot cache (Express gives every
// response a hidden class of its own): `on` is read once, to test it and to call it.
function onOf(value: unknown): On | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const on: unknown = (value as Partial<NodeResponse>).on
  return typeof on === 'function' ? (on as On) : undefined
}

/**
 * Calls `gone.clientGone()` when the client closes the connection before the response is
 * finished (on both platforms, from the Node response's `close`). Nest goes on running the
 * handler, so without this a probe whose client left would hold its half-open slot until the
 * handler ended. `clientGone` must do nothing once the call is settled: the listener is never
 * removed (the response is the request's own, and removing a listener costs more than a call
 * to a settled call's no-op). Outside HTTP there is nothing to watch.
 */
export function onClientGone(context: ExecutionContext, gone: ClientGone): void {
  let response: unknown = responseOf(context)
  // Express's response is the Node response itself: looked at first, which spares a `raw`
  // lookup that misses all the way up its prototype chain. A Fastify reply is no emitter.
  let on = onOf(response)
  if (on === undefined) {
    response = (response as { raw?: unknown } | undefined)?.raw
    on = onOf(response)
    if (on === undefined) return
  }
  const node = response as NodeResponse
  // The client may have left while the permit was being acquired: `close` is behind us then.
  if (node.closed === true) {
    gone.clientGone(node)
    return
  }
  // `on`, not `once`: `once` would wrap the listener in two more objects.
  on.call(node, 'close', () => gone.clientGone(node))
}

/** Told when the response closes: a close before the response finished is a client gone. */
export interface ClientGone {
  clientGone(response: NodeResponse): void
}
