import { renderJson } from '../render/json.ts'
import { printable } from '../render/sanitize.ts'
import { renderTable } from '../render/table.ts'
import { type Change, CircuitBoard } from './changes.ts'
import type { CommandContext } from './context.ts'

/** How often the table is redrawn on a terminal (retry countdowns move), in ms. */
const REDRAW_MS = 1_000

// Home, clear the screen; the cursor is hidden while the table is live and shown again at the end.
const CLEAR = '\x1b[H\x1b[2J'
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'

/**
 * `tripswitch watch`: on a terminal the table redrawn every second; otherwise (or with `--json`)
 * one line per change. Returns when `signal` aborts; throws when the source is lost.
 */
export async function watch(context: CommandContext): Promise<void> {
  const board = new CircuitBoard()
  const live = context.tty && !context.json
  const draw = () => context.stdout.write(screen(context, board))
  const timer = live ? setInterval(draw, REDRAW_MS) : undefined
  if (live) context.stdout.write(HIDE_CURSOR + screen(context, board))
  try {
    for await (const update of context.source.watch(context.signal)) {
      const changes = board.apply(update)
      if (live) draw()
      else for (const change of changes) context.stdout.write(line(context, change))
    }
  } finally {
    clearInterval(timer)
    if (live) context.stdout.write(SHOW_CURSOR)
  }
}

function screen({ source, stdout, style }: CommandContext, board: CircuitBoard): string {
  const now = Date.now()
  const title = `tripswitch watch  ${printable(source.label)}  ${new Date(now).toISOString()}  (Ctrl-C to stop)`
  const body = board.ready
    ? renderTable(board.all(), { style, width: stdout.columns, now })
    : 'Connecting…\n'
  return `${CLEAR}${style.dim(title)}\n\n${body}`
}

function line({ json, style }: CommandContext, change: Change): string {
  if (json) return renderJson(change)
  const from = change.from === null ? 'new' : style.state(change.from, printable(change.from))
  const to = change.to === null ? 'gone' : style.state(change.to, printable(change.to))
  const generation = change.circuit?.generation
  const suffix =
    change.from === change.to && generation != null ? ` (generation ${generation})` : ''
  return `${new Date(change.at).toISOString()}  ${printable(change.name)}  ${from} -> ${to}${suffix}\n`
}
