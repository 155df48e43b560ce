import { renderJson } from '../render/json.ts'
import { renderTable } from '../render/table.ts'
import type { CommandContext } from './context.ts'

/** `tripswitch ls`: every circuit, as a table or a JSON array. */
export async function ls({ source, stdout, style, json }: CommandContext): Promise<void> {
  const rows = await source.list()
  stdout.write(
    json ? renderJson(rows) : renderTable(rows, { style, width: stdout.columns, now: Date.now() }),
  )
}
