import { CircuitBreaker, CircuitOpenError, healthStatusCode } from '@tripswitch/core'
import {
  type HttpOutcomeContext,
  inboundOutcome,
  openCircuitResponse,
  outboundOutcome,
  parseRetryAfter,
  retryAfterSeconds,
  statusOfError,
} from '@tripswitch/core/adapter'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../src/testing/fake-clock.ts'

const request = { method: 'GET', url: '/orders' }
const response = { statusCode: 0 }

function context(
  statusCode: number | undefined,
  error?: unknown,
  aborted?: boolean,
): HttpOutcomeContext & { aborted?: boolean } {
  return { statusCode, error, request, response, aborted }
}

class HttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`HTTP ${statusCode}`)
  }
}

/** A NestJS-like HttpException: the status is behind a method. */
class NestLikeException extends Error {
  constructor(private readonly code: number) {
    super('nest')
  }
  getStatus(): number {
    return this.code
  }
}

describe('inboundOutcome', () => {
  it.each([
    [200, 'success'],
    [204, 'success'],
    [302, 'success'],
    [404, 'success'],
    [499, 'success'],
    [500, 'failure'],
    [503, 'failure'],
    [599, 'failure'],
  ] as const)('status %i without an error is a %s', (status, outcome) => {
    expect(inboundOutcome(context(status))).toBe(outcome)
  })

  it.each([
    { label: 'statusCode 404', error: new HttpError(404), outcome: 'success' },
    { label: 'statusCode 500', error: new HttpError(500), outcome: 'failure' },
    {
      label: 'status 503',
      error: Object.assign(new Error('x'), { status: 503 }),
      outcome: 'failure',
    },
    {
      label: 'status 401',
      error: Object.assign(new Error('x'), { status: 401 }),
      outcome: 'success',
    },
    { label: 'getStatus() 429', error: new NestLikeException(429), outcome: 'success' },
    { label: 'getStatus() 502', error: new NestLikeException(502), outcome: 'failure' },
    { label: 'no status', error: new Error('boom'), outcome: 'failure' },
    { label: 'a thrown string', error: 'boom', outcome: 'failure' },
    {
      label: 'an out-of-range status',
      error: Object.assign(new Error('x'), { statusCode: 42 }),
      outcome: 'failure',
    },
  ] as const)(
    'a thrown error with $label is a $outcome, whatever the response status',
    ({ error, outcome }) => {
      // The response status may not be final yet when the handler threw: the error decides.
      expect(inboundOutcome(context(200, error))).toBe(outcome)
    },
  )

  it.each([200, 500, undefined])(
    'a request aborted by the client is ignored (status %s)',
    (status) => {
      expect(inboundOutcome(context(status, undefined, true))).toBe('ignore')
      expect(inboundOutcome(context(status, new Error('x'), true), () => true)).toBe('ignore')
    },
  )

  it.each([
    { status: 200, error: undefined, verdict: true, outcome: 'failure' },
    { status: 500, error: undefined, verdict: false, outcome: 'success' },
    { status: 404, error: new HttpError(404), verdict: true, outcome: 'failure' },
    { status: 500, error: new HttpError(500), verdict: false, outcome: 'success' },
  ] as const)(
    'detectError overrides: status $status, verdict $verdict -> $outcome',
    ({ status, error, verdict, outcome }) => {
      const seen: unknown[] = []
      const detect = (ctx: HttpOutcomeContext) => {
        seen.push(ctx)
        return verdict
      }
      const ctx = context(status, error)
      expect(inboundOutcome(ctx, detect)).toBe(outcome)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ statusCode: status, error, request, response })
    },
  )

  it('a missing status with no error is a success (nothing went wrong)', () => {
    expect(inboundOutcome(context(undefined))).toBe('success')
  })
})

describe('outboundOutcome', () => {
  it.each([
    [undefined, {}, 'failure'],
    [200, {}, 'success'],
    [301, {}, 'success'],
    [400, {}, 'success'],
    [404, {}, 'success'],
    [408, {}, 'failure'],
    [429, {}, 'failure'],
    [500, {}, 'failure'],
    [503, {}, 'failure'],
    [404, { acceptClientErrors: true }, 'success'],
    [404, { acceptClientErrors: false }, 'failure'],
    [400, { acceptClientErrors: false }, 'failure'],
    [200, { acceptClientErrors: false }, 'success'],
    [304, { acceptClientErrors: false }, 'success'],
    [undefined, { acceptClientErrors: false }, 'failure'],
  ] as const)('status %s with %j is a %s', (status, options, outcome) => {
    expect(outboundOutcome(status, options)).toBe(outcome)
  })

  it('defaults to accepting client errors', () => {
    expect(outboundOutcome(404)).toBe('success')
  })
})

describe('retryAfterSeconds', () => {
  it.each([
    [-5, 1],
    [0, 1],
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [1_999, 2],
    [2_000, 2],
    [29_500, 30],
    [30_000, 30],
  ])('%i ms -> %i s', (ms, seconds) => {
    expect(retryAfterSeconds(ms)).toBe(seconds)
  })
})

describe('parseRetryAfter', () => {
  // A whole second, so HTTP dates (second precision) are exact.
  const now = Date.UTC(2030, 0, 15, 12, 0, 0)
  const httpDate = (ms: number) => new Date(ms).toUTCString()

  it.each([
    ['0', 0],
    ['1', 1_000],
    ['120', 120_000],
    ['  5 ', 5_000],
  ])('parses delta seconds %j', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms)
  })

  it('bounds a delta too long for a timer (hundreds of digits would be Infinity)', () => {
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(2_147_483_647)
    expect(parseRetryAfter('99999999999', now)).toBe(2_147_483_647)
  })

  it('parses an HTTP date relative to now', () => {
    expect(parseRetryAfter(httpDate(now + 10_000), now)).toBe(10_000)
    expect(parseRetryAfter('Tue, 15 Jan 2030 12:01:00 GMT', now)).toBe(60_000)
  })

  it.each([
    ['IMF-fixdate', 'Tue, 15 Jan 2030 12:00:30 GMT'],
    ['RFC 850', 'Tuesday, 15-Jan-30 12:00:30 GMT'],
    ['asctime', 'Tue Jan 15 12:00:30 2030'],
  ])('parses the %s form', (_, value) => {
    // asctime carries no zone; it is read in local time, so compare with Date.parse itself.
    expect(parseRetryAfter(value, now)).toBe(Math.max(0, Date.parse(value) - now))
    expect(parseRetryAfter(value, now)).not.toBeUndefined()
  })

  it('answers 0 for an HTTP date in the past', () => {
    expect(parseRetryAfter(httpDate(now - 60_000), now)).toBe(0)
  })

  it('reads the first of several header values', () => {
    expect(parseRetryAfter(['7', '9'], now)).toBe(7_000)
  })

  it.each([
    undefined,
    '',
    '   ',
    'soon',
    '10s',
    '1e3',
    '0x10',
    '5.0',
    '1.5',
    '-1',
    '-30',
    '+5',
    'Mon',
    [],
  ])('answers undefined for the malformed value %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})

describe('openCircuitResponse', () => {
  const error = new CircuitOpenError('payments', 'open', 2_345)

  it('answers 503 with Retry-After in whole seconds, rounded up, and no-store', () => {
    const answer = openCircuitResponse(error)
    expect(answer.statusCode).toBe(503)
    expect(answer.headers).toStrictEqual({ 'retry-after': '3', 'cache-control': 'no-store' })
  })

  it('has exactly the documented body keys', () => {
    const { body } = openCircuitResponse(error)
    expect(Object.keys(body).sort()).toEqual(
      ['circuit', 'code', 'error', 'message', 'retryAfter', 'statusCode'].sort(),
    )
    expect(body).toStrictEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'ERR_CIRCUIT_OPEN',
      message: 'Circuit open',
      circuit: 'payments',
      retryAfter: 3,
    })
  })

  it('never leaks a stack, a cause or the downstream error', () => {
    const leaky = new CircuitOpenError('db', 'open', 10)
    Object.assign(leaky, { cause: new Error('ECONNREFUSED 10.0.0.7:5432') })
    const json = JSON.stringify(openCircuitResponse(leaky))
    expect(json).not.toContain('stack')
    expect(json).not.toContain('cause')
    expect(json).not.toContain('ECONNREFUSED')
    expect(json).not.toContain('10.0.0.7')
  })

  it('takes a custom message and keeps Retry-After at least 1 s', () => {
    const answer = openCircuitResponse(new CircuitOpenError('x', 'half_open', 0), 'Try later')
    expect(answer.body.message).toBe('Try later')
    expect(answer.body.retryAfter).toBe(1)
    expect(answer.headers['retry-after']).toBe('1')
  })

  it('matches the rejection of a real open breaker', async () => {
    const clock = new FakeClock(1_000)
    const breaker = new CircuitBreaker({
      name: 'real',
      clock,
      errorThreshold: 1,
      recoveryTimeout: 10_000,
    })
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down')
    clock.advance(4_500)
    const rejection = await breaker.acquire().catch((e: unknown) => e)
    expect(rejection).toBeInstanceOf(CircuitOpenError)
    const answer = openCircuitResponse(rejection as CircuitOpenError)
    expect(answer.body).toMatchObject({ circuit: 'real', retryAfter: 6 })
    expect(answer.headers['retry-after']).toBe('6')
  })
})

describe('statusOfError', () => {
  it.each([
    ['statusCode', { statusCode: 502 }, 502],
    ['status', { status: 404 }, 404],
    ['getStatus()', new NestLikeException(429), 429],
    ['statusCode before status', { statusCode: 400, status: 500 }, 400],
    ['status when statusCode is invalid', { statusCode: 'x', status: 503 }, 503],
    ['getStatus() when the fields are invalid', { status: 42, getStatus: (): number => 500 }, 500],
    ['100 (lowest)', { status: 100 }, 100],
    ['599 (highest)', { status: 599 }, 599],
  ] as Array<[string, unknown, number]>)('reads %s', (_, error, status) => {
    expect(statusOfError(error)).toBe(status)
  })

  it.each([
    ['no status', new Error('x')],
    ['a string status', { statusCode: '500' }],
    ['a fractional status', { status: 500.5 }],
    ['NaN', { status: Number.NaN }],
    ['99', { status: 99 }],
    ['600', { status: 600 }],
    ['getStatus() returning junk', { getStatus: () => 'bad' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'HTTP 500'],
    ['a number', 500],
  ])('answers undefined for %s', (_, error) => {
    expect(statusOfError(error)).toBeUndefined()
  })
})

describe('healthStatusCode', () => {
  it.each([
    ['up', 200],
    ['degraded', 503],
  ] as const)('%s -> %i', (status, code) => {
    expect(healthStatusCode({ status })).toBe(code)
  })
})
