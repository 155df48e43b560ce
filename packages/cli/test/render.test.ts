import { describe, expect, it } from 'vitest'
import type { CircuitRow } from '../src/index.ts'
import { printable } from '../src/render/sanitize.ts'
import { styleFor } from '../src/render/style.ts'
import { renderTable } from '../src/render/table.ts'
import { ESC, HOSTILE, hasControl, withoutColour } from './helpers.ts'

const row = (name: string, state = 'closed', extra: Partial<CircuitRow> = {}): CircuitRow => ({
  name,
  state,
  generation: 3,
  retryAfterMs: 0,
  openings: 0,
  failureRate: null,
  slowCallRate: null,
  callsPerSecond: null,
  instances: null,
  at: 1_000,
  ...extra,
})

const plain = styleFor({ tty: false, noColor: false, env: {} })
const colour = styleFor({ tty: true, noColor: false, env: {} })

describe('printable', () => {
  it.each([
    ['\x1b[2J', '\\x1b[2J'],
    ['a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['\x00\x07\x7f\x9b', '\\x00\\x07\\x7f\\x9b'],
    ['\u202eevil', '\\u202eevil'],
    ['\u2066x\u2069', '\\u2066x\\u2069'],
    ['\u2028\ufeff', '\\u2028\\ufeff'],
    ['lone \ud800 high', 'lone \\ud800 high'],
    ['back\\slash', 'back\\\\slash'],
  ])('escapes %j', (input, shown) => {
    expect(printable(input)).toBe(shown)
  })

  it('keeps text that is safe, including emoji and other scripts', () => {
    for (const text of [
      'payments-api',
      'ünïcødé',
      '支付',
      '😀 ok',
      '<img src=x onerror=alert(1)>',
      '"quotes\'',
    ])
      expect(printable(text)).toBe(text)
  })

  it('never leaves a control character, whatever the input', () => {
    let all = ''
    for (let code = 0; code < 0x10000; code++) all += String.fromCharCode(code)
    const shown = printable(all)
    expect(hasControl(shown)).toBe(false)
    expect(hasControl('a\u202eb')).toBe(true)
    expect(shown).not.toMatch(/[\ud800-\udfff]/u)
  })
})

describe('renderTable', () => {
  it('lines the circuits up under a header, states in their colour on a terminal', () => {
    const rows = [
      row('a', 'closed'),
      row('b', 'open', { retryAfterMs: 4_200 }),
      row('c', 'forced_open'),
    ]
    const text = renderTable(rows, { style: colour, now: 1_000 })
    const lines = text.trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toContain('NAME')
    expect(lines[0]).toContain('RETRY IN')
    expect(lines[1]).toContain('\x1b[32mclosed')
    expect(lines[2]).toContain('\x1b[31mopen')
    expect(lines[2]).toContain('4.2s')
    expect(lines[3]).toContain('\x1b[35mforced_open')
  })

  it('counts the retry down from when the row was read', () => {
    const text = renderTable([row('b', 'open', { retryAfterMs: 4_000, at: 1_000 })], {
      style: plain,
      now: 2_500,
    })
    expect(text).toContain('2.5s')
    const later = renderTable([row('b', 'open', { retryAfterMs: 4_000, at: 1_000 })], {
      style: plain,
      now: 9_000,
    })
    expect(later).toContain('0.0s')
  })

  it('shows a metric column only when some circuit knows it', () => {
    const redisOnly = renderTable([row('a')], { style: plain, now: 0 })
    expect(redisOnly).not.toContain('FAILURES')
    const withRates = renderTable(
      [row('a', 'closed', { failureRate: 0.125, callsPerSecond: 3 }), row('b')],
      {
        style: plain,
        now: 0,
      },
    )
    expect(withRates).toContain('FAILURES')
    expect(withRates).toContain('12.5%')
    expect(withRates.split('\n')[2]).toMatch(/^b\s+closed\s+-/)
  })

  it('escapes a hostile name and an unknown state: nothing reaches the terminal raw', () => {
    const text = renderTable([row(HOSTILE, `x${ESC}[31m`)], { style: colour, now: 0 })
    // The only escapes are the table's own colour codes (SGR: ESC [ digits m).
    expect(withoutColour(text)).not.toContain(ESC)
    expect(text).toContain('\\x1b[2J')
    expect(text).toContain('\\u202e')
    expect(text).toContain('\\ud800')
    expect(text).toContain('<img src=x onerror=alert(1)>')
  })

  it('shortens long names to the terminal width, marking the cut', () => {
    const long = 'n'.repeat(100_000)
    const text = renderTable([row(long), row('short')], { style: plain, width: 60, now: 0 })
    for (const line of text.trimEnd().split('\n')) expect([...line].length).toBeLessThanOrEqual(60)
    expect(text).toContain('…')
    expect(text).toContain('short')
  })

  it('keeps whole names when the width is unknown (output piped)', () => {
    const name = 'n'.repeat(500)
    expect(renderTable([row(name)], { style: plain, now: 0 })).toContain(name)
  })

  it('says so when there is no circuit', () => {
    expect(renderTable([], { style: plain, now: 0 })).toBe('No circuits.\n')
  })
})

describe('styleFor', () => {
  const coloured = (choice: Parameters<typeof styleFor>[0]) =>
    styleFor(choice).state('open', 'x') !== 'x'

  it('colours only a terminal, unless --no-color or NO_COLOR says not', () => {
    expect(coloured({ tty: true, noColor: false, env: {} })).toBe(true)
    expect(coloured({ tty: false, noColor: false, env: {} })).toBe(false)
    expect(coloured({ tty: true, noColor: true, env: {} })).toBe(false)
    expect(coloured({ tty: true, noColor: false, env: { NO_COLOR: '1' } })).toBe(false)
    // no-color.org: an empty NO_COLOR does not count.
    expect(coloured({ tty: true, noColor: false, env: { NO_COLOR: '' } })).toBe(true)
  })

  it('leaves a state it does not know uncoloured, __proto__ included', () => {
    for (const state of ['__proto__', 'constructor', 'toString', 'weird'])
      expect(colour.state(state, state)).toBe(state)
  })
})
