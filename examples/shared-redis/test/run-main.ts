import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const TSX_LOADER = import.meta.resolve('tsx')

/** What a finished `npm run shared-redis` printed. */
export interface MainRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs src/main.ts as `npm run shared-redis` does (a real process, real workers, real Redis),
 * with `env` over the test's environment (undefined removes a variable).
 */
export function runMain(
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
): Promise<MainRun> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env }
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key]
  const child = spawn(
    process.execPath,
    ['--conditions=@tripswitch/source', '--import', TSX_LOADER, MAIN, ...args],
    { env: merged, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}
