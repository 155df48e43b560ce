import { afterEach, describe, expect, it } from 'vitest'
import type { DashboardState, TransitionView } from '../src/index.ts'
import { ask, type EventClient, fail, openEvents, serve, succeed, until } from './helpers.ts'

type Served = Awaited<ReturnType<typeof serve>>
let served: Served | undefined
const clients: EventClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await served?.stop()
  served = undefined
})

async function events(port: number): Promise<EventClient> {
  const client = await openEvents(port, '/api/events')
  clients.push(client)
  return client
}

describe('GET /api/events', () => {
  it('sends a snapshot, then a transition when a breaker trips', async () => {
    served = await serve({ intervalMs: 60_000 })
    const { registry, port } = served
    await succeed(registry, 'payments')
    const client = await events(port)
    expect(client.status).toBe(200)
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(client.headers['x-content-type-options']).toBe('nosniff')
    expect(client.headers['cache-control']).toBe('no-store')
    const first = await client.next(() => true)
    expect(first.event).toBe('snapshot')
    const state = JSON.parse(first.data) as DashboardState
    expect(state.circuits.map((c) => [c.name, c.state])).toEqual([['payments', 'closed']])
    const secret = 'ECONNREFUSED 10.0.0.7:5432 secret-db.internal'
    await fail(registry, 'payments', new Error(secret))
    await fail(registry, 'payments', new Error(secret))
    const transition = await client.next((e) => e.event === 'transition')
    const view = JSON.parse(transition.data) as TransitionView
    expect(view).toMatchObject({
      name: 'payments',
      from: 'closed',
      to: 'open',
      reason: 'threshold',
    })
    expect(Object.keys(view).sort()).toEqual(['at', 'from', 'name', 'reason', 'to'])
    expect(client.raw()).not.toContain('secret-db')
    expect(client.raw()).not.toContain('ECONNREFUSED')
    expect(client.raw()).not.toContain('10.0.0.7')
  })

  it('sends a snapshot every intervalMs, serialised once for every client', async () => {
    served = await serve({ intervalMs: 20 })
    await succeed(served.registry, '<img src=x onerror=alert(1)>')
    const a = await events(served.port)
    const b = await events(served.port)
    await until(() => a.events.length >= 4 && b.events.length >= 4)
    for (const client of [a, b]) {
      const state = JSON.parse(client.events.at(-1)!.data) as DashboardState
      expect(state.circuits[0]!.name).toBe('<img src=x onerror=alert(1)>')
    }
    // Every data line is one JSON document: a name cannot inject an event.
    for (const event of a.events) expect(() => JSON.parse(event.data)).not.toThrow()
  })

  it('answers 503 past maxClients, and a disconnect frees a slot', async () => {
    served = await serve({ maxClients: 2, intervalMs: 60_000 })
    const { port } = served
    const one = await events(port)
    await events(port)
    await one.next(() => true)
    const refused = await ask(port, { path: '/api/events' })
    expect(refused.status).toBe(503)
    expect(refused.json).toMatchObject({ error: { code: 'too_many_clients' } })
    expect(refused.headers['x-content-type-options']).toBe('nosniff')
    expect(refused.headers['retry-after']).toBe('5')
    one.close()
    let third: EventClient | undefined
    await until(async () => {
      const client = await openEvents(port, '/api/events')
      if (client.status === 200) third = client
      else client.close()
      return third !== undefined
    })
    clients.push(third!)
    expect((await third!.next(() => true)).event).toBe('snapshot')
  })

  it('close() ends every stream, and later clients get 503', async () => {
    served = await serve({ intervalMs: 60_000 })
    const a = await events(served.port)
    const b = await events(served.port)
    await a.next(() => true)
    await b.next(() => true)
    served.dashboard.close()
    await Promise.all([a.ended, b.ended])
    expect((await ask(served.port, { path: '/api/events' })).status).toBe(503)
    // The API still answers.
    expect((await ask(served.port, { path: '/api/circuits' })).status).toBe(200)
  })

  it('forwards the transitions of breakers created after it connected', async () => {
    served = await serve({ intervalMs: 60_000 })
    const client = await events(served.port)
    await client.next(() => true)
    served.registry.get('late').forceOpen()
    const transition = await client.next((e) => e.event === 'transition')
    expect(JSON.parse(transition.data)).toMatchObject({
      name: 'late',
      to: 'forced_open',
      reason: 'forced',
    })
  })

  it('HEAD gets the stream headers and no stream', async () => {
    served = await serve()
    const answer = await ask(served.port, { method: 'HEAD', path: '/api/events' })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(answer.text).toBe('')
  })
})
