import type { CommandName } from './args.ts'

const SOURCES = `Source (exactly one):
  --redis URL          the shared store: every circuit Redis knows (redis:// or rediss://)
  --prefix P           key prefix of the store (default "tripswitch:"; with --redis)
  --url URL            one instance's admin API, where the dashboard is mounted
                       (e.g. http://127.0.0.1:3000/circuits)
  --header "N: V"      a header sent with every request (repeatable; with --url),
                       e.g. --header "Authorization: Bearer $TOKEN"
  --timeout MS         how long to wait for Redis or the instance (default 5000)

Output:
  --json               JSON for scripts instead of a table
  --no-color           no colour (also when NO_COLOR is set or stdout is not a terminal)
  -h, --help           this help`

const TOP = `Usage: tripswitch <command> [options]

Lists, watches and acts on Tripswitch circuit breakers, over the shared Redis store
or over one instance's admin API (@tripswitch/dashboard).

Commands:
  ls                   list every circuit and its state
  watch                follow the circuits live until Ctrl-C
  open NAME            hold a circuit open (forced_open): every call is rejected
  close NAME           close a circuit (back to closed, counting afresh)
  reset NAME           the same as close
  disable NAME         let every call through without counting (disabled)

${SOURCES}
  -V, --version        the version

Exit codes: 0 done, 1 failed (unreachable, refused, unknown circuit), 2 bad command line,
130 interrupted (Ctrl-C; watch exits 0).
Run "tripswitch <command> --help" for one command.`

const ACT_NOTE = `With --redis the circuit must be known to Redis under the prefix, unless --force
is given (--force writes the state for a name no instance has used yet).
With --url the instance decides: its dashboard needs an authorize option that allows
the action, else it answers 403.
A NAME that starts with a dash goes after --: tripswitch open -- -name

  --force              act even on a name Redis does not know (with --redis)`

const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  ls: `Usage: tripswitch ls (--redis URL | --url URL) [options]

Lists every circuit: name, state, failure and slow-call rate, calls per second, time
until the next probe, generation and instances, as far as the source knows them
(Redis holds states and instances; an instance's admin API adds the rates).
With --json, prints a JSON array of circuits.`,
  watch: `Usage: tripswitch watch (--redis URL | --url URL) [options]

Follows the circuits until Ctrl-C. On a terminal the table is redrawn every second;
otherwise one line is printed per change ("<time>  <name>  <from> -> <to>").
With --json, prints one JSON object per change:
{ "at", "name", "from", "to", "circuit" } (from is null for a circuit first seen,
to and circuit are null for one gone).`,
  open: `Usage: tripswitch open NAME (--redis URL | --url URL) [options]

Holds circuit NAME open (state forced_open) on every instance until close or reset.

${ACT_NOTE}`,
  close: `Usage: tripswitch close NAME (--redis URL | --url URL) [options]

Closes circuit NAME (state closed, counting afresh) on every instance.

${ACT_NOTE}`,
  reset: `Usage: tripswitch reset NAME (--redis URL | --url URL) [options]

Resets circuit NAME to closed, the same as close.

${ACT_NOTE}`,
  disable: `Usage: tripswitch disable NAME (--redis URL | --url URL) [options]

Disables circuit NAME (state disabled): every call passes and nothing is counted,
until close or reset.

${ACT_NOTE}`,
}

/** The help of `command`, or the overview without one. */
export function helpText(command: CommandName | undefined): string {
  if (command === undefined) return `${TOP}\n`
  return `${COMMAND_HELP[command]}\n\n${SOURCES}\n`
}
