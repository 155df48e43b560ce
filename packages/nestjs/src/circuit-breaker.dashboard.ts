import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common'
import { type AbstractHttpAdapter, HttpAdapterHost } from '@nestjs/core'
import {
  CircuitBreakerRegistry,
  InvalidOptionsError,
  isInvalidOptionsError,
} from '@tripswitch/core'
import type { Dashboard, DashboardOptions } from '@tripswitch/dashboard'
import type { TripswitchDashboardOptions } from './circuit-breaker.dashboard-options.ts'
import { TRIPSWITCH_MODULE_OPTIONS } from './circuit-breaker.module-definition.ts'
import type { TripswitchModuleOptions } from './circuit-breaker.options.ts'
import { ownOptions } from './circuit-breaker.own-options.ts'

type DashboardPackage = typeof import('@tripswitch/dashboard')

/**
 * Loads `@tripswitch/dashboard`, an optional peer dependency, only when the `dashboard` option
 * is given, so that the module loads without it.
 * @param specifier the package to load; a test names one that is not installed.
 * @throws {Error} naming the package to install when it is missing.
 */
export async function loadDashboard(
  specifier = '@tripswitch/dashboard',
): Promise<DashboardPackage> {
  try {
    return (await import(specifier)) as DashboardPackage
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error
    throw new Error(
      `TripswitchModule's "dashboard" option needs ${specifier}: npm install ${specifier}`,
      { cause: error },
    )
  }
}

/** `createDashboard`, with its option errors named as the module's: `dashboard.<option>`. */
function create(pkg: DashboardPackage, options: DashboardOptions): Dashboard {
  try {
    return pkg.createDashboard(options)
  } catch (error) {
    if (!isInvalidOptionsError(error)) throw error
    throw new InvalidOptionsError(`dashboard.${error.option}`, error.rule, error.value)
  }
}

/** The part of a Fastify instance used here; Nest's `FastifyAdapter` holds one. */
interface FastifyRegistrar {
  register(plugin: Dashboard['fastifyPlugin'], options: { prefix: string }): unknown
}

/**
 * Mounts `dashboard` at `path` on the platform's server. Express (and any adapter with
 * Express's `use`): a path-scoped middleware, which sees the URL with `path` stripped. Fastify:
 * the dashboard's plugin under the prefix `path`, in its own scope without body parsers, so an
 * action's body reaches the dashboard unread.
 */
function mount(adapter: AbstractHttpAdapter, path: string, dashboard: Dashboard): void {
  if (adapter.getType() === 'fastify')
    adapter.getInstance<FastifyRegistrar>().register(dashboard.fastifyPlugin, { prefix: path })
  else adapter.use(path, dashboard)
}

/**
 * Serves `@tripswitch/dashboard` over the module's registry at `dashboard.path`, when that
 * option is given and the application has an HTTP server. It mounts in `onModuleInit`, after
 * the controllers' routes and before Nest's 404 handler (Nest 10 to 12 call the hook between
 * the two), and closes the dashboard's event streams and timers when the application closes.
 */
@Injectable()
export class CircuitBreakerDashboard implements OnModuleInit, OnModuleDestroy {
  private dashboard: Dashboard | undefined

  constructor(
    @Inject(TRIPSWITCH_MODULE_OPTIONS)
    private readonly options: TripswitchModuleOptions | undefined,
    @Inject(CircuitBreakerRegistry) private readonly registry: CircuitBreakerRegistry,
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
  ) {}

  async onModuleInit(): Promise<void> {
    const given = this.options?.dashboard
    // An application context (no HTTP server) shares the module and serves nothing.
    const adapter = this.host.httpAdapter as AbstractHttpAdapter | null | undefined
    if (given === undefined || adapter == null || this.dashboard !== undefined) return
    const { path, ...rest } = ownOptions(given) as TripswitchDashboardOptions
    const store = rest.store ?? this.options?.store
    const dashboard = create(await loadDashboard(), { ...rest, store, registry: this.registry })
    this.dashboard = dashboard
    mount(adapter, path, dashboard)
  }

  /** Ends the event streams before Nest closes the server, which would wait for them. */
  onModuleDestroy(): void {
    this.dashboard?.close()
    this.dashboard = undefined
  }
}
