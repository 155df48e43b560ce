import { afterEach, describe, expect, it } from 'vitest'
import type { ActionLogEntry, ActionRequest, Authorize } from '../src/index.ts'
import { ACTION_HEADERS, act, ask, serve, succeed } from './helpers.ts'

type Served = Awaited<ReturnType<typeof serve>>
let served: Served | undefined
afterEach(async () => {
  await served?.stop()
  served = undefined
})

async function start(authorize?: Authorize): Promise<Served> {
  served = await serve(authorize === undefined ? {} : { authorize })
  await succeed(served.registry, 'payments')
  return served
}

const allowAlice: Authorize = () => ({ who: 'alice' })

describe('allowed actions', () => {
  it.each([
    ['open', 'forced_open'],
    ['disable', 'disabled'],
    ['close', 'closed'],
    ['reset', 'closed'],
  ] as const)('%s leaves the circuit %s, logged with who and why', async (action, state) => {
    const { registry, port, log } = await start(allowAlice)
    if (action !== 'open') registry.get('payments').forceOpen()
    const answer = await act(port, `/api/circuits/payments/${action}`, '{"reason":"incident 42"}')
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({ name: 'payments', action, state })
    expect(registry.get('payments').state).toBe(state)
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    const entry = log.at(-1) as ActionLogEntry
    expect(entry).toMatchObject({ who: 'alice', action, name: 'payments', allowed: true })
    expect(entry.reason).toBe('incident 42')
  })

  it('authorize sees the request and the decoded action; true allows without a who', async () => {
    const seen: ActionRequest[] = []
    const { registry, port, log } = await start((req, request) => {
      seen.push(request)
      return req.headers.authorization === 'Bearer ok'
    })
    await succeed(registry, 'a <b> "c"')
    const headers = { ...ACTION_HEADERS, authorization: 'Bearer ok' }
    const path = `/api/circuits/${encodeURIComponent('a <b> "c"')}/open`
    expect((await act(port, path, '{}', headers)).status).toBe(200)
    expect(seen).toEqual([{ action: 'open', name: 'a <b> "c"' }])
    expect(log.at(-1)).toMatchObject({ who: null, allowed: true, name: 'a <b> "c"' })
    expect((log.at(-1) as ActionLogEntry).reason).toBeUndefined()
  })

  it('an async authorize may allow', async () => {
    const { registry, port } = await start(async () => ({ who: 'bob' }))
    expect((await act(port, '/api/circuits/payments/disable')).status).toBe(200)
    expect(registry.get('payments').state).toBe('disabled')
  })
})

describe('refused actions (403)', () => {
  it.each([
    ['no authorize option', undefined],
    ['authorize returning false', () => false],
    [
      'authorize throwing',
      () => {
        throw new Error('secret-idp.internal down')
      },
    ],
    ['authorize rejecting', () => Promise.reject(new Error('secret-idp.internal down'))],
    ['authorize returning a who that is not a string', () => ({ who: 42 }) as never],
    ['authorize returning a truthy non-boolean', () => 'yes' as never],
  ] as Array<[string, Authorize | undefined]>)('%s', async (_label, authorize) => {
    const { registry, port, log } = await start(authorize)
    const answer = await act(port, '/api/circuits/payments/open')
    expect(answer.status).toBe(403)
    expect(answer.json).toMatchObject({ error: { code: 'forbidden' } })
    expect(answer.text).not.toContain('secret')
    expect(registry.get('payments').state).toBe('closed')
    expect(log).toEqual([
      { at: expect.any(Number), who: null, action: 'open', name: 'payments', allowed: false },
    ])
  })

  it('the default log writes one JSON line through console.warn', async () => {
    const lines: unknown[] = []
    const warn = console.warn
    console.warn = (line: unknown) => lines.push(line)
    try {
      served = await serve({ log: undefined })
      await succeed(served.registry, '<x>')
      await act(served.port, `/api/circuits/${encodeURIComponent('<x>')}/reset`)
    } finally {
      console.warn = warn
    }
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      action: 'reset',
      name: '<x>',
      allowed: false,
      who: null,
    })
  })

  it('a throwing log does not change the answer', async () => {
    served = await serve({
      authorize: () => true,
      log: () => {
        throw new Error('disk full')
      },
    })
    await succeed(served.registry, 'payments')
    expect((await act(served.port, '/api/circuits/payments/open')).status).toBe(200)
  })
})

describe('requests that are not actions', () => {
  let calls = 0
  const counting: Authorize = () => {
    calls++
    return true
  }

  it.each([
    ['no x-tripswitch-action header', { 'content-type': 'application/json' }, '{}', 400],
    [
      'x-tripswitch-action other than 1',
      { ...ACTION_HEADERS, 'x-tripswitch-action': 'true' },
      '{}',
      400,
    ],
    [
      'a form',
      { 'x-tripswitch-action': '1', 'content-type': 'application/x-www-form-urlencoded' },
      'a=1',
      415,
    ],
    [
      'a multipart form',
      { 'x-tripswitch-action': '1', 'content-type': 'multipart/form-data; boundary=x' },
      '--x--',
      415,
    ],
    ['text/plain', { 'x-tripswitch-action': '1', 'content-type': 'text/plain' }, '{}', 415],
    ['no content type', { 'x-tripswitch-action': '1' }, '{}', 415],
    [
      'JSON in disguise',
      { 'x-tripswitch-action': '1', 'content-type': 'application/jsonx' },
      '{}',
      415,
    ],
    ['an array body', ACTION_HEADERS, '[]', 400],
    ['a string body', ACTION_HEADERS, '"open"', 400],
    ['a null body', ACTION_HEADERS, 'null', 400],
    ['a number body', ACTION_HEADERS, '1', 400],
    ['an empty body', ACTION_HEADERS, '', 400],
    ['broken JSON', ACTION_HEADERS, '{"reason":', 400],
    ['an unknown key', ACTION_HEADERS, '{"state":"closed"}', 400],
    ['a __proto__ key', ACTION_HEADERS, '{"__proto__":{"reason":"x"}}', 400],
    ['a reason that is not a string', ACTION_HEADERS, '{"reason":5}', 400],
    [
      'a reason over 200 characters',
      ACTION_HEADERS,
      JSON.stringify({ reason: 'r'.repeat(201) }),
      400,
    ],
    ['a reason with a lone surrogate', ACTION_HEADERS, '{"reason":"\\ud800"}', 400],
    ['a body over 4 KiB', ACTION_HEADERS, JSON.stringify({ reason: ' '.repeat(5_000) }), 400],
  ] as Array<[string, Record<string, string>, string, number]>)(
    '%s is refused before authorize is asked',
    async (_label, headers, body, status) => {
      calls = 0
      const { registry, port, log } = await start(counting)
      const answer = await act(port, '/api/circuits/payments/open', body, headers)
      expect(answer.status).toBe(status)
      expect(answer.headers['x-content-type-options']).toBe('nosniff')
      expect(registry.get('payments').state).toBe('closed')
      expect(calls).toBe(0)
      expect(log).toEqual([])
    },
  )

  it('a body of 4 KiB exactly is accepted, a chunked one over it is refused', async () => {
    const { port } = await start(counting)
    const reason = 'r'.repeat(200)
    const exact = `{"reason":"${reason}"}`.padEnd(4_096, ' ')
    expect((await act(port, '/api/circuits/payments/close', exact)).status).toBe(200)
    const big = Buffer.from(`{"reason":"x"}${' '.repeat(10_000)}`)
    const answer = await ask(port, {
      method: 'POST',
      path: '/api/circuits/payments/close',
      headers: { ...ACTION_HEADERS, 'transfer-encoding': 'chunked' },
      body: big,
    })
    expect(answer.status).toBe(400)
  })

  it('GET on an action is a 405 with Allow: POST', async () => {
    const { registry, port } = await start(counting)
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
      const answer = await ask(port, { method, path: '/api/circuits/payments/open' })
      expect(answer.status).toBe(405)
      expect(answer.headers.allow).toBe('POST')
    }
    expect(registry.get('payments').state).toBe('closed')
  })

  it('an unknown circuit is a 404, an unknown action is not an action', async () => {
    calls = 0
    const { port, log } = await start(counting)
    expect((await act(port, '/api/circuits/nope/open')).status).toBe(404)
    expect((await act(port, '/api/circuits/__proto__/open')).status).toBe(404)
    expect((await act(port, '/api/circuits/payments/explode')).status).toBe(404)
    expect((await act(port, '/api/circuits/payments/constructor')).status).toBe(404)
    expect(calls).toBe(0)
    expect(log).toEqual([])
  })
})
