import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AdminServer } from './admin-server.ts'
import { Collector, cli, ESC, HOSTILE, until, withoutColour } from './helpers.ts'

// The --url source against a small server speaking the admin API's contract (the real dashboard
// has its own test file): what the CLI sends, and how it takes every kind of answer.

let admin: AdminServer
beforeEach(async () => {
  admin = await AdminServer.start()
  admin.circuits = [
    { name: 'payments', state: 'open', failureRate: 0.5, generation: 4 },
    { name: 'search', state: 'closed' },
  ]
})
afterEach(() => admin.close())

const AUTH = ['--header', 'Authorization: Bearer ok']

describe('ls --url', () => {
  it('lists the instance circuits with their rates, as a table and as JSON', async () => {
    const table = await cli(['ls', '--url', admin.url])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^NAME\s+STATE\s+FAILURES\s+SLOW\s+CALLS\/S\s+RETRY IN\s+GEN$/m)
    expect(table.stdout).toMatch(/^payments\s+open\s+50\.0%\s+0\.0%\s+2\.0\s+0\.0s\s+4$/m)
    const json = await cli(['ls', '--json', '--url', admin.url])
    expect(JSON.parse(json.stdout)).toMatchObject([
      { name: 'payments', state: 'open', failureRate: 0.5, generation: 4, instances: null },
      { name: 'search', state: 'closed' },
    ])
  })

  it('accepts the mount point with or without the trailing slash, and sends the headers given', async () => {
    await cli(['ls', '--url', admin.url.replace(/\/$/, ''), ...AUTH, '--header', 'X-Team:  ops '])
    const request = admin.received.at(-1)!
    expect(request.url).toBe('/circuits/api/circuits')
    expect(request.headers.authorization).toBe('Bearer ok')
    expect(request.headers['x-team']).toBe('ops')
  })

  it('escapes hostile names in the table and keeps them exact in JSON', async () => {
    admin.circuits = [
      { name: HOSTILE, state: 'closed' },
      { name: '__proto__', state: `open${ESC}[2J` },
    ]
    const table = await cli(['ls', '--url', admin.url], { tty: true })
    expect(withoutColour(table.stdout)).not.toContain(ESC)
    expect(table.stdout).toContain('\\x1b[2J')
    const json = JSON.parse((await cli(['ls', '--json', '--url', admin.url])).stdout) as {
      name: string
    }[]
    expect(json.map((row) => row.name).sort()).toEqual(['__proto__', HOSTILE].sort())
  })

  it.each([
    [
      403,
      'application/json',
      '{"error":{"code":"forbidden"}}',
      /answered 403 \(refused: .*--header\)/,
    ],
    [401, 'application/json', '{}', /answered 401 \(unauthorized/],
    [
      404,
      'text/html',
      '<h1>Not found</h1>',
      /answered 404 for \/circuits\/api\/circuits \(is the URL the dashboard's mount point\?\)/,
    ],
    [
      500,
      'application/json',
      '{"error":{"code":"internal","message":"at Object.<anonymous> (/srv/secret.js:1:1)"}}',
      /answered 500 \(internal\)$/m,
    ],
    [500, 'text/plain', 'Error: boom\n    at x (/srv/app.js:3:4)', /answered 500$/m],
    [200, 'text/html', '<!doctype html><p>login</p>', /not JSON \(is the URL the dashboard's\?\)/],
    [
      200,
      'application/json',
      '{"circuits":"nope"}',
      /answered JSON that is not a list of circuits/,
    ],
    [200, 'application/json', '[1,2]', /answered JSON that is not a list of circuits/],
    [302, 'text/plain', '', /answered 302, a redirect/],
  ])('exits 1 when the instance answers %i %s', async (status, type, body, message) => {
    admin.override = { status, type, body }
    const { code, stdout, stderr } = await cli(['ls', '--url', admin.url])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
    // Nothing of a server's error text (its message, stack, paths) is repeated.
    expect(stderr).not.toMatch(/secret\.js|app\.js|boom/)
    expect(stderr.split('\n')).toHaveLength(2)
  })

  it('exits 1 naming the URL when nothing listens there', async () => {
    const url = admin.url
    await admin.close()
    const { code, stderr } = await cli(['ls', '--url', url])
    expect(code).toBe(1)
    expect(stderr).toMatch(
      new RegExp(`^tripswitch: cannot reach the admin API at ${url}: connect ECONNREFUSED`),
    )
  })

  it('gives up after --timeout when the instance never answers', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as AddressInfo
      const { code, stderr } = await cli([
        'ls',
        '--url',
        `http://127.0.0.1:${port}/`,
        '--timeout',
        '200',
      ])
      expect(code).toBe(1)
      expect(stderr).toContain('did not answer within 200 ms')
    } finally {
      silent.closeAllConnections()
      silent.close()
    }
  })
})

describe('interrupted', () => {
  it('exits 130 when interrupted before the instance answers, and drops the request', async () => {
    let requests = 0
    const silent: Server = createServer(() => {
      requests++
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as AddressInfo
      const stop = new AbortController()
      const running = cli(['open', 'x', '--url', `http://127.0.0.1:${port}/`], {
        signal: stop.signal,
      })
      await until(() => requests === 1)
      stop.abort()
      const { code, stdout, stderr } = await running
      expect(code).toBe(130)
      expect(stdout).toBe('')
      expect(stderr).toBe('tripswitch: interrupted\n')
      await until(() => {
        silent.getConnections((_error, count) => {
          requests = count === 0 ? -1 : requests
        })
        return requests === -1
      })
    } finally {
      silent.closeAllConnections()
      silent.close()
    }
  })
})

describe('actions over --url', () => {
  it('POSTs the action as JSON with the action header, and prints the new state', async () => {
    const { code, stdout, stderr } = await cli(['open', 'search', '--url', admin.url, ...AUTH])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toBe('search: forced_open\n')
    const request = admin.received.at(-1)!
    expect(request).toMatchObject({
      method: 'POST',
      url: '/circuits/api/circuits/search/open',
      body: '{}',
    })
    expect(request.headers['content-type']).toBe('application/json')
    expect(request.headers['x-tripswitch-action']).toBe('1')
    for (const [action, state] of [
      ['disable', 'disabled'],
      ['close', 'closed'],
      ['reset', 'closed'],
    ]) {
      const result = await cli([action!, 'search', '--json', '--url', admin.url, ...AUTH])
      expect(JSON.parse(result.stdout)).toEqual({ name: 'search', action, state })
    }
  })

  it('encodes the name as one path segment, whatever it holds', async () => {
    const name = 'a/b?c#d%e ..\\ü'
    admin.circuits.push({ name, state: 'closed' })
    const { code } = await cli(['close', name, '--url', admin.url, ...AUTH])
    expect(code).toBe(0)
    expect(admin.received.at(-1)!.url).toBe(
      `/circuits/api/circuits/${encodeURIComponent(name)}/close`,
    )
  })

  it('exits 1 when the instance refuses (403), with what to do', async () => {
    const { code, stdout, stderr } = await cli(['open', 'search', '--url', admin.url])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(
      /cannot open circuit "search": .* answered 403 \(refused: the instance's authorize option must allow this/,
    )
    expect(admin.circuits.find((c) => c.name === 'search')!.state).toBe('closed')
  })

  it('exits 1 for a circuit the instance does not know (404)', async () => {
    const hostile = HOSTILE.replace('\ud800', '')
    const { code, stderr } = await cli(['reset', hostile, '--url', admin.url, ...AUTH])
    expect(code).toBe(1)
    expect(stderr).toContain('no circuit "<img src=x onerror=alert(1)>"\'\\x1b[2J')
    expect(stderr).not.toContain(ESC)
  })

  it('refuses a name no URL can carry (a lone surrogate) without sending anything', async () => {
    const before = admin.received.length
    const { code, stderr } = await cli(['reset', 'bad\ud800', '--url', admin.url, ...AUTH])
    expect(code).toBe(1)
    expect(stderr).toContain('lone UTF-16 surrogate')
    expect(stderr).toContain('bad\\ud800')
    expect(admin.received.length).toBe(before)
  })
})

describe('watch --url', () => {
  function watching(argv: readonly string[], stdout: Collector) {
    const stop = new AbortController()
    return { stop, done: cli(argv, { signal: stop.signal, stdout }) }
  }

  it('prints the first snapshot, then each transition pushed, one JSON line each; exit 0 on interrupt', async () => {
    const out = new Collector()
    const { stop, done } = watching(['watch', '--json', '--url', admin.url, ...AUTH], out)
    await until(() => out.text.split('\n').length > 2)
    admin.push(
      'transition',
      JSON.stringify({ name: 'search', from: 'closed', to: 'open', reason: 'x', at: 5 }),
    )
    await until(() => out.text.includes('"to":"open","circuit"'))
    // The next snapshot agrees with the transition already shown: no second line for it.
    admin.circuits[1]!.state = 'open'
    admin.circuits[1]!.generation = 1
    admin.push('snapshot', admin.state())
    admin.push(
      'transition',
      JSON.stringify({ name: 'payments', from: 'open', to: 'half_open', at: 6 }),
    )
    await until(() => out.text.includes('half_open'))
    stop.abort()
    const { code, stderr } = await done
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = out.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.map(({ name, from, to }) => [name, from, to])).toEqual([
      ['payments', null, 'open'],
      ['search', null, 'closed'],
      ['search', 'closed', 'open'],
      ['payments', 'open', 'half_open'],
    ])
    expect(admin.received.at(-1)!.headers.authorization).toBe('Bearer ok')
    await until(() => admin.watchers === 0)
  })

  it('exits 1 when the stream ends (the instance stopped)', async () => {
    const out = new Collector()
    const { done } = watching(['watch', '--url', admin.url], out)
    await until(() => out.text.includes('search'))
    admin.endStreams()
    const { code, stderr } = await done
    expect(code).toBe(1)
    expect(stderr).toMatch(/the event stream of the admin API at .* ended/)
  })

  it('exits 1 on an event that is not JSON', async () => {
    const out = new Collector()
    const { done } = watching(['watch', '--url', admin.url], out)
    await until(() => out.text.includes('search'))
    admin.push('snapshot', '<html>')
    const { code, stderr } = await done
    expect(code).toBe(1)
    expect(stderr).toMatch(/sent a snapshot that is not JSON/)
  })

  it.each([
    [
      200,
      'application/json',
      '{}',
      /answered application\/json for api\/events, not an event stream/,
    ],
    [503, 'application/json', '{"error":{"code":"busy"}}', /answered 503 \(too many watchers/],
    [403, 'application/json', '{}', /cannot watch the circuits: .* answered 403 \(refused/],
  ])('exits 1 when the event stream answers %i %s', async (status, type, body, message) => {
    admin.override = { status, type, body }
    const { code, stdout, stderr } = await cli(['watch', '--url', admin.url])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(message)
  })
})
