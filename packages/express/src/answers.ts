import type { CircuitBusyError, CircuitOpenError, CircuitTimeoutError } from '@tripswitch/core'
import { openCircuitResponse, timeoutResponse } from '@tripswitch/core/adapter'
import type { Response } from 'express'

/** The default answer to a refused request: core's 503, `Retry-After` and `no-store`. */
export function sendOpen(res: Response, error: CircuitOpenError): void {
  const answer = openCircuitResponse(error)
  res.status(answer.statusCode).set(answer.headers).json(answer.body)
}

/**
 * The answer to a request refused because `maxConcurrent` requests are running: 503 and
 * `no-store`, without `Retry-After` (a slot may free up at any moment).
 */
export function sendBusy(res: Response, error: CircuitBusyError): void {
  res.status(503).set('cache-control', 'no-store').json({
    statusCode: 503,
    error: 'Service Unavailable',
    code: error.code,
    message: 'Circuit busy',
    circuit: error.circuit,
  })
}

/**
 * Answers a timed-out handler with 503, then turns the response's writing methods into no-ops
 * so that the handler's late answer is dropped instead of throwing `ERR_HTTP_HEADERS_SENT`
 * (from a timer or promise, that would crash the process or reach the error handler).
 */
export function sendTimeout(res: Response, error: CircuitTimeoutError): void {
  const answer = timeoutResponse(error)
  res.status(answer.statusCode).set(answer.headers).json(answer.body)
  dropLateWrites(res)
}

function dropLateWrites(res: Response): void {
  const self = () => res
  const accept = (...args: unknown[]) => {
    callLastCallback(args)
    return true
  }
  const finish = (...args: unknown[]) => {
    callLastCallback(args)
    return res
  }
  // Own properties shadow the prototype's methods for this response only.
  Object.assign(res, {
    setHeader: self,
    appendHeader: self,
    removeHeader: () => undefined,
    writeHead: self,
    flushHeaders: () => undefined,
    write: accept,
    end: finish,
  })
}

/** Node calls a write/end callback once the data is flushed; a dropped write is "flushed" now. */
function callLastCallback(args: unknown[]): void {
  const last = args[args.length - 1]
  if (typeof last === 'function') queueMicrotask(() => (last as () => void)())
}
