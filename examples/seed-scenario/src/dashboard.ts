import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CircuitBreakerRegistry } from '@tripswitch/core'
import { createDashboard } from '@tripswitch/dashboard'

/** Where the dashboard is mounted on its server. */
const MOUNT = '/circuits'

/** A running dashboard server: its page's address, and how to stop it. */
export interface DashboardServer {
  /** The page, e.g. `http://127.0.0.1:41234/circuits/`. */
  readonly url: string
  close(): Promise<void>
}

/**
 * Serves the live status page of `registry` on a free port of 127.0.0.1, read-only (no
 * `authorize`), so the demo's circuit can be watched in a browser while the scenario runs.
 */
export async function serveDashboard(registry: CircuitBreakerRegistry): Promise<DashboardServer> {
  const dashboard = createDashboard({ registry, basePath: MOUNT })
  const server = createServer((req, res) => dashboard(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${MOUNT}/`,
    close: async () => {
      dashboard.close()
      // An open page keeps its event stream: end it rather than wait for the browser.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
