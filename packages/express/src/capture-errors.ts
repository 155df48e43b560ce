import type { ErrorRequestHandler, Request } from 'express'

// Keyed by request so that nothing is added to user-visible objects and nothing outlives them.
const captured = new WeakMap<Request, unknown>()

/** The error passed to `next(err)` for `req`, when {@link captureErrors} saw one. */
export function capturedError(req: Request): unknown {
  return captured.get(req)
}

/**
 * An error-handling middleware to register after your routes and before your error handlers.
 * It remembers the error a handler threw or passed to `next(err)`, so that `detectError` and
 * the default classification see it (an error without a status counts as a 500), then passes
 * it on unchanged. Without it, the outcome is read from the response status alone.
 *
 * A route middleware cannot see errors raised after it hands over with `next()`; Express only
 * gives them to error-handling middleware, hence this separate piece.
 */
export function captureErrors(): ErrorRequestHandler {
  return (error: unknown, req, _res, next) => {
    captured.set(req, error)
    next(error)
  }
}
