import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../src/config.ts'

describe('readConfig', () => {
  it('has defaults for everything', () => {
    expect(readConfig({}, [])).toEqual({
      redisUrl: undefined,
      workers: 4,
      recoveryMs: 3_000,
      callIntervalMs: 150,
      coldStartMs: 300,
      json: false,
    })
  })

  it('reads every setting and --json', () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6380',
      WORKERS: '8',
      RECOVERY_MS: '500',
      CALL_INTERVAL_MS: '50',
      COLD_START_MS: '0',
    }
    expect(readConfig(env, ['--json'])).toEqual({
      redisUrl: 'redis://127.0.0.1:6380',
      workers: 8,
      recoveryMs: 500,
      callIntervalMs: 50,
      coldStartMs: 0,
      json: true,
    })
  })

  it.each([
    [{ WORKERS: '17' }, 'WORKERS must be an integer from 2 to 16, but was "17"'],
    [{ WORKERS: '2.5' }, 'WORKERS must be an integer from 2 to 16, but was "2.5"'],
    [{ WORKERS: '-3' }, 'WORKERS must be an integer from 2 to 16, but was "-3"'],
    [{ RECOVERY_MS: '100' }, 'RECOVERY_MS must be an integer from 200 to 600000, but was "100"'],
    [{ CALL_INTERVAL_MS: '1e3' }, 'CALL_INTERVAL_MS must be an integer from 20 to 5000'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must start with redis:// or rediss://'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL must be a URL like redis://127.0.0.1:6379'],
  ])('rejects %o', (env, message) => {
    expect(() => readConfig(env, [])).toThrow(ConfigError)
    expect(() => readConfig(env, [])).toThrow(message)
  })

  it('rejects an unknown argument', () => {
    expect(() => readConfig({}, ['--verbose'])).toThrow('unknown argument "--verbose"')
  })
})
