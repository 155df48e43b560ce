import { CommandError, clip } from '../errors.ts'
import { errorCodeOf } from './dashboard-state.ts'

/** What a failed request was for. */
export interface FailedRequest {
  /** What the CLI tried, for the message (`list the circuits`, `open circuit "x"`). */
  readonly what: string
  readonly url: URL
  /** The source, for the message (`the admin API at ...`). */
  readonly where: string
  /** The circuit acted on: a 404 then means the instance does not know it. */
  readonly name?: string | undefined
}

/**
 * Turns an answer that is not 2xx into the error that says what failed and what to do. Only
 * the status and the `error.code` word of the body are used: nothing of a server's message or
 * stack reaches the terminal.
 */
export async function failed(response: Response, request: FailedRequest): Promise<never> {
  const { what, url, where, name } = request
  const status = response.status
  const code = errorCodeOf(await response.json().catch(() => null))
  const prefix = `cannot ${what}: ${where} answered ${status}`
  if (status === 403)
    throw new CommandError(
      `${prefix} (refused: the instance's authorize option must allow this; pass credentials with --header)`,
    )
  if (status === 401)
    throw new CommandError(`${prefix} (unauthorized: pass credentials with --header)`)
  if (status === 404 && name !== undefined && code === 'not_found')
    throw new CommandError(`no circuit "${clip(name)}" at ${where} (${status})`)
  if (status === 404)
    throw new CommandError(
      `${prefix} for ${clip(url.pathname)} (is the URL the dashboard's mount point?)`,
    )
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location')
    throw new CommandError(
      `${prefix}, a redirect${location === null ? '' : ` to ${clip(location)}`} (give that URL)`,
    )
  }
  if (status === 503 && url.pathname.endsWith('/api/events'))
    throw new CommandError(`${prefix} (too many watchers of that instance; try again later)`)
  throw new CommandError(code === undefined ? prefix : `${prefix} (${code})`)
}
