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
interface NodeResponse {
  readonly writableFinished?: boolean
  /** True once the response has emitted `close` (Node >= 18). */
  readonly closed?: boolean
  on(event: 'close', listener: () => void): unknown
  off(event: 'close', listener: () => void): unknown
}

function isNodeResponse(value: unknown): value is NodeResponse {
  if (typeof value !== 'object' || value === null) return false
  const node = value as Partial<NodeResponse>
  return typeof node.on === 'function' && typeof node.off === 'function'
}

function nodeResponseOf(context: ExecutionContext): NodeResponse | undefined {
  const response = responseOf(context) as (HeaderTarget & { raw?: unknown }) | undefined
  // Express's response is the Node response itself: looked at first, which spares a `raw`
  // lookup that misses all the way up its prototype chain. A Fastify reply is no emitter.
  if (isNodeResponse(response)) return response
  const raw = response?.raw
  return isNodeResponse(raw) ? raw : undefined
}

/**
 * Calls `gone` when the client closes the connection before the response is finished (on both
 * platforms, from the Node response's `close`). Nest goes on running the handler, so without
 * this a probe whose client left would hold its half-open slot until the handler ended.
 * Returns the function that stops watching; outside HTTP there is nothing to watch.
 */
export function onClientGone(context: ExecutionContext, gone: () => void): () => void {
  const response = nodeResponseOf(context)
  if (response === undefined) return () => undefined
  const listener = () => {
    if (response.writableFinished !== true) gone()
  }
  // The client may have left while the permit was being acquired: `close` is behind us then.
  if (response.closed === true) {
    listener()
    return () => undefined
  }
  // `on`, not `once`: the listener is removed when the call settles, and `once` would wrap it.
  response.on('close', listener)
  return () => response.off('close', listener)
}
