import type { BreakerRequest } from './options.ts'

/** The parts of a `Request` the wrapper reads, when fetch is given one as its input. */
interface RequestLike {
  readonly url: string
  readonly method: string
  readonly signal: AbortSignal
}

function isRequestLike(input: unknown): input is RequestLike {
  return (
    typeof input === 'object' && input !== null && typeof (input as RequestLike).url === 'string'
  )
}

/** What a key function and detectError are told: the URL as given, and the method. */
export function describeRequest(
  input: unknown,
  init: { method?: string } | undefined,
): BreakerRequest {
  const method = init?.method
  if (typeof input === 'string')
    return { url: input, method: typeof method === 'string' ? method : 'GET' }
  if (input instanceof URL)
    return { url: input.href, method: typeof method === 'string' ? method : 'GET' }
  if (isRequestLike(input))
    return { url: input.url, method: typeof method === 'string' ? method : input.method }
  // fetch stringifies any other input; so does the key.
  return { url: String(input), method: typeof method === 'string' ? method : 'GET' }
}

/** The signal fetch will honour: `init.signal`, else the input Request's. */
export function callerSignal(
  input: unknown,
  init: { signal?: AbortSignal | null } | undefined,
): AbortSignal | undefined {
  const signal = init?.signal
  if (signal !== undefined && signal !== null) return signal
  return isRequestLike(input) && input.signal instanceof AbortSignal ? input.signal : undefined
}
