import type { ExecutionContext } from '@nestjs/common'

interface HeaderTarget {
  setHeader?: (name: string, value: string) => unknown
  header?: (name: string, value: string) => unknown
  statusCode?: unknown
}

function responseOf(context: ExecutionContext): HeaderTarget | undefined {
  if (context.getType() !== 'http') return undefined
  const response: unknown = context.switchToHttp().getResponse()
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
