import type { Action } from '../model.ts'
import { renderJson } from '../render/json.ts'
import { printable } from '../render/sanitize.ts'
import type { CommandContext } from './context.ts'

/** `tripswitch open|close|reset|disable NAME`: acts, then prints the circuit's new state. */
export async function act(
  context: CommandContext,
  name: string,
  action: Action,
  force: boolean,
): Promise<void> {
  const { source, stdout, style, json } = context
  const result = await source.act(name, action, force)
  if (json) stdout.write(renderJson(result))
  else
    stdout.write(
      `${printable(result.name)}: ${style.state(result.state, printable(result.state))}\n`,
    )
}
