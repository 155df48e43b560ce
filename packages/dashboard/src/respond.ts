import type { IncomingMessage, ServerResponse } from 'node:http'

/** Headers on every response of the dashboard. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
})

/** The page's policy: its own scripts and styles only, nothing inline, no framing, no forms. */
export const CONTENT_SECURITY_POLICY: string =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Error codes of the API's error bodies. */
export type ErrorCode =
  | 'bad_request'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'too_many_clients'
  | 'internal'

/** Sets the common headers, then `headers`, on a response not yet started. */
export function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value)
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
}

/** Answers `body` (already serialised) with `status`; a HEAD request gets the headers only. */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end()
    return
  }
  setHeaders(res, { 'content-type': contentType, ...headers })
  res.setHeader('content-length', Buffer.byteLength(body))
  res.statusCode = status
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** Answers `value` as JSON. */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

/** Answers an error body `{ error: { code, message } }`; the message never quotes the request. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(req, res, status, { error: { code, message } }, headers)
}

/** 405 with the methods the path accepts. */
export function methodNotAllowed(
  req: IncomingMessage,
  res: ServerResponse,
  allow: readonly string[],
): void {
  const allowed = allow.join(', ')
  sendError(req, res, 405, 'method_not_allowed', `Use ${allowed}.`, { allow: allowed })
}
