import { expect, it } from 'vitest'
import { ConfigError, readConfig } from '../src/config.ts'

it('defaults to ports 3000 and 3001 and a healthy partner', () => {
  expect(readConfig({})).toEqual({ port: 3000, partnerPort: 3001, partnerFailing: false })
  expect(readConfig({ PORT: '', PARTNER_FAILING: '' })).toMatchObject({ port: 3000 })
})

it('reads the variables, port 0 included', () => {
  expect(readConfig({ PORT: '0', PARTNER_PORT: '8081', PARTNER_FAILING: 'true' })).toEqual({
    port: 0,
    partnerPort: 8081,
    partnerFailing: true,
  })
  expect(readConfig({ PARTNER_FAILING: '0' }).partnerFailing).toBe(false)
})

it.each([
  ['PORT', 'abc', 'Invalid PORT: expected an integer from 0 to 65535, got "abc"'],
  ['PORT', '-1', 'Invalid PORT'],
  ['PORT', '3000.5', 'Invalid PORT'],
  ['PARTNER_PORT', '65536', 'Invalid PARTNER_PORT'],
  ['PARTNER_FAILING', 'yes', 'Invalid PARTNER_FAILING: expected true, false, 1 or 0, got "yes"'],
])('rejects %s=%s naming the variable', (variable, value, message) => {
  expect(() => readConfig({ [variable]: value })).toThrow(ConfigError)
  expect(() => readConfig({ [variable]: value })).toThrow(message)
})
