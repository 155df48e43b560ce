import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreakerRegistry } from '@tripswitch/core'
import { createDashboard, type DashboardState } from '@tripswitch/dashboard'
import { RedisStore } from '@tripswitch/redis'
import { Redis } from 'ioredis'

const MOUNT = '/circuits'

/** One circuit as the fleet view showed it: which instances reported it. */
export interface FleetSeen {
  readonly name: string
  readonly state: string
  readonly instances: readonly string[]
}

/** The coordinator's status page: the fleet's circuits, read from Redis. */
export interface FleetDashboard {
  /** The page, e.g. `http://127.0.0.1:41234/circuits/`. */
  readonly url: string
  /** Asks the page's own JSON API what the fleet view shows now. */
  fleet(): Promise<FleetSeen[]>
  close(): Promise<void>
}

/**
 * Serves the dashboard on a free port of 127.0.0.1, over a RedisStore of its own on the run's
 * prefix and an empty registry: the coordinator holds no breaker, so every circuit the page
 * shows comes from the fleet view (the workers' circuits, with the workers that report them).
 */
export async function serveFleetDashboard(url: string, prefix: string): Promise<FleetDashboard> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false })
  client.on('error', () => {
    // The store reports Redis trouble itself; the page then shows it as unavailable.
  })
  await new Promise<void>((resolve) => client.once('ready', resolve))
  const store = new RedisStore({ client, prefix, instanceId: 'coordinator' })
  // A bare node:http server hands the mount path over whole (Express would strip it).
  const dashboard = createDashboard({
    registry: new CircuitBreakerRegistry({ store }),
    store,
    basePath: MOUNT,
  })
  const server = createServer((req, res) => dashboard(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const page = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MOUNT}/`
  return {
    url: page,
    fleet: async () => {
      const state = (await (await fetch(new URL('api/circuits', page))).json()) as DashboardState
      return (state.fleet ?? []).map(({ name, state: now, instances }) => ({
        name,
        state: now,
        instances: instances.map((instance) => instance.id).sort(),
      }))
    },
    close: async () => {
      dashboard.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      store.close()
      client.disconnect()
    },
  }
}

/** What is wrong with the fleet view, if anything: it must show every worker on `circuit`. */
export function fleetProblems(seen: readonly FleetSeen[], circuit: string, workers: number) {
  const expected = Array.from({ length: workers }, (_, i) => `worker-${i + 1}`).sort()
  const shown = seen.find((entry) => entry.name === circuit)?.instances ?? []
  return shown.join() === expected.join()
    ? []
    : [`the dashboard's fleet view showed "${circuit}" on [${shown.join(', ')}]`]
}
