import { CommandError, clip, reasonOf } from '../errors.ts'
import type { Action, ActionResult, CircuitRow } from '../model.ts'
import { rowsOfState, transitionOf } from './dashboard-state.ts'
import { failed } from './http-failure.ts'
import type { CircuitSource, WatchUpdate } from './source.ts'
import { serverEvents } from './sse.ts'

/** Options of {@link openHttpSource}. */
export interface HttpSourceOptions {
  /** Where the dashboard is mounted, ending in `/` (`http://host:3000/circuits/`). */
  readonly url: URL
  /** Headers sent with every request (`Authorization`). */
  readonly headers: readonly (readonly [string, string])[]
  /** Milliseconds to wait for an answer's headers (and, except for `watch`, its body). */
  readonly timeoutMs: number
  /** Aborts every request in flight (Ctrl-C). */
  readonly signal: AbortSignal
}

/** The admin API of one instance, served by `@tripswitch/dashboard`. */
export function openHttpSource(options: HttpSourceOptions): CircuitSource {
  return new HttpSource(options)
}

/** Longest answer body read (a list of a few thousand circuits is far below), in bytes. */
const MAX_BODY = 32 * 1024 * 1024

class HttpSource implements CircuitSource {
  readonly label: string

  constructor(private readonly options: HttpSourceOptions) {
    this.label = `the admin API at ${clip(options.url.href)}`
  }

  async list(): Promise<CircuitRow[]> {
    const url = new URL('api/circuits', this.options.url)
    const body = await this.request(url, { method: 'GET' }, 'list the circuits')
    return rowsOfState(body, this.label)
  }

  async *watch(signal: AbortSignal): AsyncIterable<WatchUpdate> {
    const url = new URL('api/events', this.options.url)
    const response = await this.connect(url, signal)
    if (response === null) return
    if (!response.ok) await failed(response, { what: 'watch the circuits', url, where: this.label })
    const type = response.headers.get('content-type') ?? ''
    if (!type.startsWith('text/event-stream'))
      throw new CommandError(
        `${this.label} answered ${clip(type || 'no content type')} for api/events, not an event stream`,
      )
    const text = (response.body ?? emptyBody()).pipeThrough(new TextDecoderStream())
    try {
      for await (const { event, data } of serverEvents(text)) {
        const update = this.updateOf(event, data)
        if (update !== null) yield update
      }
    } catch (error) {
      if (signal.aborted) return
      throw new CommandError(`the event stream of ${this.label} failed: ${reasonOf(error)}`)
    }
    if (!signal.aborted)
      throw new CommandError(`the event stream of ${this.label} ended (the instance stopped?)`)
  }

  /**
   * Opens the event stream: the timeout covers the wait for the answer's headers only (the
   * stream itself lasts until `signal` aborts). `null` when `signal` aborted first.
   */
  private async connect(url: URL, signal: AbortSignal): Promise<Response | null> {
    const controller = new AbortController()
    const stop = () => controller.abort(signal.reason)
    signal.addEventListener('abort', stop, { once: true })
    const late = new DOMException('the admin API did not answer in time', 'TimeoutError')
    const timer = setTimeout(() => controller.abort(late), this.options.timeoutMs)
    try {
      return await this.send(
        url,
        { method: 'GET', headers: { accept: 'text/event-stream' } },
        controller.signal,
      )
    } catch (error) {
      if (signal.aborted) return null
      throw error
    } finally {
      // The listener stays: aborting `signal` must also end the body being streamed.
      clearTimeout(timer)
    }
  }

  async act(name: string, action: Action, _force: boolean): Promise<ActionResult> {
    const url = new URL(`api/circuits/${segment(name)}/${action}`, this.options.url)
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tripswitch-action': '1' },
      body: '{}',
    }
    const body = await this.request(url, init, `${action} circuit "${clip(name)}"`, name)
    const state = (body as { state?: unknown } | null)?.state
    if (typeof state !== 'string')
      throw new CommandError(`${this.label} answered the ${action} without a state`)
    return { name, action, state }
  }

  async close(): Promise<void> {}

  private updateOf(event: string, data: string): WatchUpdate | null {
    let body: unknown
    try {
      body = JSON.parse(data)
    } catch {
      throw new CommandError(
        `the event stream of ${this.label} sent a ${clip(event)} that is not JSON`,
      )
    }
    if (event === 'snapshot') {
      const rows = rowsOfState(body, this.label)
      return { kind: 'snapshot', rows, at: rows[0]?.at ?? Date.now() }
    }
    if (event === 'transition') {
      const transition = transitionOf(body)
      return transition === null ? null : { kind: 'transition', ...transition }
    }
    return null
  }

  /** Sends, then reads a JSON answer within the timeout. */
  private async request(
    url: URL,
    init: RequestInit,
    what: string,
    name?: string,
  ): Promise<unknown> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.options.timeoutMs),
      this.options.signal,
    ])
    const response = await this.send(url, init, signal)
    if (!response.ok) await failed(response, { what, url, where: this.label, name })
    let text: string
    try {
      text = await readLimited(response)
    } catch (error) {
      throw new CommandError(
        `cannot ${what}: reading the answer of ${this.label} failed: ${reasonOf(error)}`,
      )
    }
    try {
      return JSON.parse(text)
    } catch {
      throw new CommandError(
        `cannot ${what}: ${this.label} answered something that is not JSON (is the URL the dashboard's?)`,
      )
    }
  }

  private async send(url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers)
    for (const [name, value] of this.options.headers) headers.set(name, value)
    try {
      // Redirects are not followed: a request carrying credentials must go where it was told.
      return await fetch(url, { ...init, headers, signal, redirect: 'manual' })
    } catch (error) {
      if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError')
        throw new CommandError(`${this.label} did not answer within ${this.options.timeoutMs} ms`)
      if (signal.aborted) throw error
      throw new CommandError(`cannot reach ${this.label}: ${reasonOf(causeOf(error))}`)
    }
  }
}

/** `name` as one percent-encoded path segment. */
function segment(name: string): string {
  try {
    return encodeURIComponent(name)
  } catch {
    // A lone UTF-16 surrogate has no UTF-8 form, so no URL can carry it; Redis can.
    throw new CommandError(
      `circuit "${clip(name)}" holds a lone UTF-16 surrogate, which no URL can carry (use --redis)`,
    )
  }
}

/** The network error under fetch's generic "fetch failed". */
function causeOf(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause
  return cause instanceof Error ? cause : error
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() })
}

async function readLimited(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0)
  if (length > MAX_BODY) throw new Error(`the answer is larger than ${MAX_BODY} bytes`)
  const text = await response.text()
  if (text.length > MAX_BODY) throw new Error(`the answer is larger than ${MAX_BODY} bytes`)
  return text
}
