import { describe, expect, it } from 'vitest'
import { VERSION } from '../src/index.ts'
import { cli } from './helpers.ts'

const REDIS = ['--redis', 'redis://127.0.0.1:6379']

describe('usage errors exit 2 with a message naming the problem and where the help is', () => {
  it.each([
    [[], /a command is needed/, 'tripswitch --help'],
    [['bogus'], /unknown command "bogus"/, 'tripswitch --help'],
    [['ls'], /give --redis URL .* or --url URL/, 'tripswitch ls --help'],
    [
      ['ls', ...REDIS, '--url', 'http://127.0.0.1:1/'],
      /either --redis or --url, not both/,
      'tripswitch ls --help',
    ],
    [['ls', '--bogus', ...REDIS], /Unknown option '--bogus'/, 'tripswitch ls --help'],
    [['ls', '--redis'], /--redis/, 'tripswitch ls --help'],
    [['ls', 'extra', ...REDIS], /ls takes no argument \(got "extra"\)/, 'tripswitch ls --help'],
    [['ls', '--force', ...REDIS], /ls takes no --force/, 'tripswitch ls --help'],
    [['open', ...REDIS], /open needs the NAME of a circuit/, 'tripswitch open --help'],
    [['close', 'a', 'b', ...REDIS], /close takes one NAME \(got 2\)/, 'tripswitch close --help'],
    [['reset', '', ...REDIS], /NAME that is not empty/, 'tripswitch reset --help'],
    [
      ['ls', '--redis', 'http://127.0.0.1:6379'],
      /redis:\/\/ or rediss:\/\/ URL \(got "http:"\)/,
      'ls --help',
    ],
    [['ls', '--redis', 'not a url'], /--redis needs a URL like/, 'ls --help'],
    [['ls', '--url', 'ftp://x/'], /http:\/\/ or https:\/\/ URL/, 'ls --help'],
    [['ls', '--url', 'http://u:p@127.0.0.1/'], /must not carry credentials/, 'ls --help'],
    [['ls', ...REDIS, '--header', 'A: b'], /--header applies to --url only/, 'ls --help'],
    [
      ['ls', '--url', 'http://127.0.0.1/', '--prefix', 'p:'],
      /--prefix applies to --redis only/,
      'ls --help',
    ],
    [
      ['open', 'x', '--url', 'http://127.0.0.1/', '--force'],
      /--force applies to --redis only/,
      'open --help',
    ],
    [
      ['ls', '--url', 'http://127.0.0.1/', '--header', 'no colon here'],
      /"Name: value"/,
      'ls --help',
    ],
    [['ls', '--url', 'http://127.0.0.1/', '--header', 'Bad Name: x'], /"Name: value"/, 'ls --help'],
    [
      ['ls', '--url', 'http://127.0.0.1/', '--header', 'X: a\r\nInjected: 1'],
      /holds a line break/,
      'ls --help',
    ],
    [['ls', ...REDIS, '--timeout', '0'], /--timeout needs milliseconds/, 'ls --help'],
    [['ls', ...REDIS, '--timeout', 'NaN'], /--timeout needs milliseconds/, 'ls --help'],
    [['ls', ...REDIS, '--timeout', '1e3'], /--timeout needs milliseconds/, 'ls --help'],
    [['ls', ...REDIS, '--prefix', 'bad prefix!'], /--prefix: .*prefix/, 'ls --help'],
    [['help', 'nope'], /unknown command "nope"/, 'tripswitch --help'],
  ])('%j', async (argv, message, help) => {
    const { code, stdout, stderr } = await cli(argv)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
    expect(stderr).toContain(`Run "`)
    expect(stderr).toContain(help)
    expect(stderr).not.toMatch(/\n\s+at /) // no stack
  })

  it('does not echo a header value (often a secret) in its complaint', async () => {
    const { code, stderr } = await cli([
      'ls',
      '--url',
      'http://127.0.0.1/',
      '--header',
      'Bearer s3cret-token',
    ])
    expect(code).toBe(2)
    expect(stderr).not.toContain('s3cret')
  })

  it('escapes a hostile unknown command instead of writing it raw', async () => {
    const { code, stderr } = await cli(['\x1b[2Jboom'])
    expect(code).toBe(2)
    expect(stderr).toContain('\\x1b[2Jboom')
    expect(stderr).not.toContain('\x1b')
  })

  it('quotes at most a short part of a huge argument', async () => {
    const { stderr } = await cli(['x'.repeat(100_000)])
    expect(stderr.length).toBeLessThan(400)
  })
})

describe('help and version', () => {
  it('prints the overview for --help, -h and help, exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const { code, stdout, stderr } = await cli(argv)
      expect(code).toBe(0)
      expect(stderr).toBe('')
      for (const command of [
        'ls',
        'watch',
        'open NAME',
        'close NAME',
        'reset NAME',
        'disable NAME',
      ])
        expect(stdout).toContain(`  ${command}`)
      expect(stdout).toMatch(/Exit codes: 0 .* 1 .* 2 /)
    }
  })

  it.each(['ls', 'watch', 'open', 'close', 'reset', 'disable'])(
    'prints the help of %s, exit 0',
    async (command) => {
      for (const argv of [
        [command, '--help'],
        ['help', command],
        [command, '-h', '--bogus-ignored-after-help'],
      ]) {
        const { code, stdout } = await cli(argv.slice(0, 2))
        expect(code).toBe(0)
        expect(stdout).toContain(`Usage: tripswitch ${command}`)
        expect(stdout).toContain('--redis URL')
        expect(stdout).toContain('--json')
      }
    },
  )

  it('--help wins over a missing source or NAME', async () => {
    const { code, stdout } = await cli(['open', '--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('--force')
  })

  it('prints the package version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const { code, stdout } = await cli([flag])
      expect(code).toBe(0)
      expect(stdout).toBe(`${VERSION}\n`)
    }
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('takes a NAME that starts with a dash after --', async () => {
    const { code, stderr } = await cli([
      'open',
      '--redis',
      'redis://127.0.0.1:1',
      '--',
      '--not-a-flag',
    ])
    // Parsed (a usage error would be 2): it fails only on the closed port.
    expect(code).toBe(1)
    expect(stderr).toMatch(/cannot reach Redis/)
  })
})
