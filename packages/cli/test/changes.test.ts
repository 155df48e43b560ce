import { describe, expect, it } from 'vitest'
import { CircuitBoard } from '../src/commands/changes.ts'
import type { CircuitRow } from '../src/index.ts'

const row = (name: string, state: string, generation: number | null = 0): CircuitRow => ({
  name,
  state,
  generation,
  retryAfterMs: 0,
  openings: 0,
  failureRate: null,
  slowCallRate: null,
  callsPerSecond: null,
  instances: null,
  at: 0,
})

const moves = (changes: { name: string; from: string | null; to: string | null }[]) =>
  changes.map(({ name, from, to }) => [name, from, to])

describe('CircuitBoard', () => {
  it('reports every circuit first seen, then only what changed, and circuits gone', () => {
    const board = new CircuitBoard()
    expect(
      moves(
        board.apply({ kind: 'snapshot', at: 1, rows: [row('a', 'closed'), row('b', 'closed')] }),
      ),
    ).toEqual([
      ['a', null, 'closed'],
      ['b', null, 'closed'],
    ])
    expect(
      board.apply({ kind: 'snapshot', at: 2, rows: [row('a', 'closed'), row('b', 'closed')] }),
    ).toEqual([])
    expect(moves(board.apply({ kind: 'snapshot', at: 3, rows: [row('a', 'open', 1)] }))).toEqual([
      ['a', 'closed', 'open'],
      ['b', 'closed', null],
    ])
  })

  it('reports a circuit that moved and came back between two snapshots (its generation moved)', () => {
    const board = new CircuitBoard()
    board.apply({ kind: 'snapshot', at: 1, rows: [row('a', 'closed', 4)] })
    const [change] = board.apply({ kind: 'snapshot', at: 2, rows: [row('a', 'closed', 6)] })
    expect(change).toMatchObject({
      name: 'a',
      from: 'closed',
      to: 'closed',
      circuit: { generation: 6 },
    })
  })

  it('does not report again in the next snapshot a transition already pushed', () => {
    const board = new CircuitBoard()
    board.apply({ kind: 'snapshot', at: 1, rows: [row('a', 'closed', 0)] })
    expect(
      moves(board.apply({ kind: 'transition', at: 2, name: 'a', from: 'closed', to: 'open' })),
    ).toEqual([['a', 'closed', 'open']])
    expect(board.apply({ kind: 'snapshot', at: 3, rows: [row('a', 'open', 1)] })).toEqual([])
    expect(board.all()).toEqual([row('a', 'open', 1)])
  })

  it('keeps names like __proto__ apart from the board itself', () => {
    const board = new CircuitBoard()
    board.apply({
      kind: 'snapshot',
      at: 1,
      rows: [row('__proto__', 'open'), row('constructor', 'closed')],
    })
    expect(board.all().map((r) => r.name)).toEqual(['__proto__', 'constructor'])
    expect(
      moves(
        board.apply({
          kind: 'transition',
          at: 2,
          name: 'hasOwnProperty',
          from: 'closed',
          to: 'open',
        }),
      ),
    ).toEqual([['hasOwnProperty', 'closed', 'open']])
  })
})
