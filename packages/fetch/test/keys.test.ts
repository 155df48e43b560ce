import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hostKey, originKey } from '../src/keys.ts'

// The origin and host keys read a cached prefix of the URL; they must always equal what parsing
// the whole URL gives, whatever the URL looks like.

const ODD = [
  'HTTP://Example.COM:80/a',
  'https://a.example:8443?q=1',
  'http://a.example#frag',
  'http://a.example\\@evil.example/',
  'http://user:pass@a.example:8080/p',
  'http:/a.example?x=http://b.example/p',
  '  http://a.example/ ',
  'http://a.ex\tample/',
  'http://[::1]:3000/x',
]

describe('originKey and hostKey', () => {
  it.each(ODD)('agree with new URL() for %j', (url) => {
    const parsed = new URL(url)
    expect(originKey({ url, method: 'GET' })).toBe(parsed.origin)
    expect(hostKey({ url, method: 'GET' })).toBe(parsed.host)
  })

  it('agree with new URL() for generated URLs, cached or not', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const parsed = new URL(url)
        for (let i = 0; i < 2; i++) {
          expect(originKey({ url, method: 'GET' })).toBe(parsed.origin)
          expect(hostKey({ url, method: 'GET' })).toBe(parsed.host)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('refuse a relative URL with an InvalidOptionsError naming key', () => {
    expect(() => originKey({ url: '/x', method: 'GET' })).toThrow(
      expect.objectContaining({ code: 'ERR_CIRCUIT_OPTIONS', option: 'key' }),
    )
  })
})
