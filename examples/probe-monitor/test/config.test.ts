import { describe, expect, it } from 'vitest'
import { ConfigError, type MonitorConfig, readConfig } from '../src/config.ts'

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    readConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`)
}

describe('readConfig', () => {
  it('has defaults for every variable', () => {
    expect(readConfig({})).toEqual<MonitorConfig>({
      target: undefined,
      intervalMs: 2_000,
      errorThreshold: 3,
      recoveryTimeoutMs: 4_000,
      probeTimeoutMs: 2_000,
      acceptClientErrors: false,
      logLevel: 'INFO',
    })
  })

  it('treats an empty or blank variable as unset', () => {
    expect(readConfig({ HTTP_CLIENT: '', TIME_WINDOW: ' ', LOG_LEVEL: '' })).toEqual(readConfig({}))
  })

  it('reads every variable into a typed value', () => {
    const config = readConfig({
      HTTP_CLIENT: 'example.com:8080',
      TIME_WINDOW: '0.05',
      ERROR_THRESHOLD: '5',
      ACCEPT_CLIENT_ERRORS: 'True',
      LOG_LEVEL: 'warning',
    })
    expect(config).toEqual<MonitorConfig>({
      target: 'example.com:8080',
      intervalMs: 50,
      errorThreshold: 5,
      recoveryTimeoutMs: 100,
      probeTimeoutMs: 1_000,
      acceptClientErrors: true,
      logLevel: 'WARNING',
    })
  })

  it.each([['127.0.0.1:1'], ['localhost:65535'], ['[::1]:8080'], ['my-host.internal:80']])(
    'accepts HTTP_CLIENT=%s',
    (target) => {
      expect(readConfig({ HTTP_CLIENT: target }).target).toBe(target)
    },
  )

  it.each([
    ['TRUE', true],
    ['true', true],
    ['False', false],
    ['fAlSe', false],
  ])('accepts ACCEPT_CLIENT_ERRORS=%s', (raw, expected) => {
    expect(readConfig({ ACCEPT_CLIENT_ERRORS: raw }).acceptClientErrors).toBe(expected)
  })

  it.each([
    [{ HTTP_CLIENT: 'localhost' }, 'HTTP_CLIENT must be host:port with a port from 1 to 65535'],
    [{ HTTP_CLIENT: 'http://localhost:80' }, 'but was "http://localhost:80"'],
    [{ HTTP_CLIENT: 'localhost:0' }, 'HTTP_CLIENT must be host:port'],
    [{ HTTP_CLIENT: 'localhost:70000' }, 'but was "localhost:70000"'],
    [{ TIME_WINDOW: 'abc' }, 'TIME_WINDOW must be a number of seconds, at least 0.001'],
    [{ TIME_WINDOW: '5s' }, 'but was "5s"'],
    [{ TIME_WINDOW: '0' }, 'TIME_WINDOW must be a number of seconds, at least 0.001'],
    [{ TIME_WINDOW: '-1' }, 'but was "-1"'],
    [{ ERROR_THRESHOLD: 'three' }, 'ERROR_THRESHOLD must be a number of failures (e.g. 3)'],
    [{ ACCEPT_CLIENT_ERRORS: 'yes' }, 'ACCEPT_CLIENT_ERRORS must be True or False (any case)'],
    [{ LOG_LEVEL: 'TRACE' }, 'LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR'],
  ])('rejects %o: "%s"', (env, message) => {
    const problems = problemsOf(env)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
  })

  it.each([
    [
      '0',
      'ERROR_THRESHOLD=0 is rejected by @tripswitch/core: Option "errorThreshold" must be an integer >= 1, but was 0',
    ],
    [
      '2.5',
      'ERROR_THRESHOLD=2.5 is rejected by @tripswitch/core: Option "errorThreshold" must be an integer >= 1, but was 2.5',
    ],
    ['-3', 'Option "errorThreshold" must be an integer >= 1, but was -3'],
  ])('reports ERROR_THRESHOLD=%s with the message of core InvalidOptionsError', (raw, message) => {
    expect(problemsOf({ ERROR_THRESHOLD: raw })).toEqual([expect.stringContaining(message)])
  })

  it('has core judge the recovery timeout TIME_WINDOW sets', () => {
    expect(problemsOf({ TIME_WINDOW: '2000000' })).toEqual([
      'TIME_WINDOW=2000000 is rejected by @tripswitch/core (the circuit stays open 2 windows): ' +
        'Option "recoveryTimeout" must be an integer number of milliseconds from 1 to 2147483647, but was 4000000000',
    ])
  })

  it('has core judge HTTP_CLIENT as the circuit name', () => {
    const target = `${'a'.repeat(260)}:80`
    expect(problemsOf({ HTTP_CLIENT: target })[0]).toContain(
      'Option "name" must be a non-empty string of at most 256 characters',
    )
  })

  it('lists every bad variable at once', () => {
    const error = (() => {
      try {
        readConfig({ TIME_WINDOW: 'x', ERROR_THRESHOLD: '0', LOG_LEVEL: 'loud' })
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual([
      'TIME_WINDOW',
      'ERROR_THRESHOLD=0',
      'LOG_LEVEL',
    ])
    expect((error as ConfigError).message).toMatch(/^Invalid environment:\n {2}- TIME_WINDOW/)
  })
})
