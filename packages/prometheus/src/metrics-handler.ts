import type { IncomingMessage, ServerResponse } from 'node:http'
import { InvalidOptionsError } from '@tripswitch/core'
import { checks } from '@tripswitch/core/adapter'
import { register as defaultRegister, type Registry, type RegistryContentType } from 'prom-client'
import { ClientGone } from './response-sink.ts'
import { SessionPool } from './scrape-session.ts'
import { writeExposition } from './write-exposition.ts'

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The prom-client registry served, in its content type. @default prom-client's global `register` */
  register?: Registry<RegistryContentType>
}

/**
 * A node:http request handler serving a prom-client registry (Express takes it as a route
 * handler as it is). It never rejects: a failure answers 500, or cuts the response short when
 * part of it was sent.
 */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

const KNOWN = new Set(['register'])
const REGISTER_METHODS = ['getMetricsAsArray', 'getSingleMetricAsString', 'metrics']

/**
 * A handler answering `GET` with the exposition of a prom-client registry (and `HEAD` with its
 * headers; any other method 405 with `Allow: GET, HEAD`), in the registry's content type
 * (Prometheus text or OpenMetrics). The text is byte for byte what `register.metrics()` returns,
 * but streamed: the families of {@link registerMetrics} are written byte by byte into a few
 * buffers of 64 KiB reused from scrape to scrape, each sent as a chunk of the response (waiting
 * for `drain` on backpressure), so a scrape of 10,000 breakers (8 MB of text) allocates under
 * a megabyte of JS heap instead of several times its text. Other metrics are formatted by
 * prom-client itself, one at a time. A client that goes away mid-scrape stops the writing.
 * Each handler keeps its own buffers: make one per route, not one per request.
 * @throws {InvalidOptionsError} for a bad option.
 */
export function metricsHandler(options?: MetricsHandlerOptions): MetricsHandler {
  const register = resolveRegister(options)
  const sessions = new SessionPool()
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405
      res.setHeader('Allow', 'GET, HEAD')
      res.end()
      return
    }
    res.statusCode = 200
    res.setHeader('Content-Type', register.contentType)
    if (req.method === 'HEAD') res.end()
    else await stream(register, res, sessions)
  }
}

async function stream(
  register: Registry<RegistryContentType>,
  res: ServerResponse,
  sessions: SessionPool,
): Promise<void> {
  const session = sessions.take()
  const { sink, writer, tables } = session
  writer.restart(sink.open(res))
  try {
    await writeExposition(register, writer, tables)
    writer.end()
  } catch (error) {
    if (!(error instanceof ClientGone)) fail(res, error)
  } finally {
    // Reused only once the response's write callbacks all fired (they still hold buffers).
    sink.close(writer.abandon(), () => sessions.give(session))
  }
}

/** Answers 500 when nothing was sent yet; otherwise cuts the response (the scrape fails). */
function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.statusCode = 500
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.end(`metrics collection failed: ${error instanceof Error ? error.message : String(error)}\n`)
}

function resolveRegister(options: unknown): Registry<RegistryContentType> {
  if (options === undefined) return defaultRegister
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionsError('options', 'an options object', options)
  const given = checks.withoutUndefined(checks.ownOptions(options))
  checks.rejectUnknownKeys(given, KNOWN)
  const { register } = given as MetricsHandlerOptions
  if (register === undefined) return defaultRegister
  checks.objectWith(REGISTER_METHODS, 'a prom-client Registry')(register, 'register')
  return register
}
