import { healthStatusCode } from '@tripswitch/core'
import type { FastifyInstance, FastifyPluginCallback, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { FastifyCircuitBreakerBeforeHandler } from './augment.ts'
import { expect, isOptionsObject } from './check.ts'
import { Circuit, type PluginContext } from './circuit.ts'
import { FlightTable } from './flight.ts'
import { onAbortHook, onErrorHook, onSendHook } from './lifecycle.ts'
import type { CircuitBreakerRouteOptions, FastifyCircuitBreakerOptions } from './options.ts'
import { type PluginSettings, resolvePluginOptions } from './plugin-options.ts'
import { EMPTY_LAYER, type Layer, layerOf, settingsOf } from './settings.ts'
import { TransitionLog } from './transitions.ts'

/** The plugin, as exported: callable by Fastify, with `.default` and `.fastifyCircuitBreaker` pointing at itself. */
export type FastifyCircuitBreakerPlugin = FastifyPluginCallback<FastifyCircuitBreakerOptions> & {
  readonly default: FastifyCircuitBreakerPlugin
  readonly fastifyCircuitBreaker: FastifyCircuitBreakerPlugin
}

const CONFIG = 'config.circuitBreaker'

// Callback style on purpose: @fastify/circuit-breaker's plugin returns undefined when called,
// and code written against it may rely on that.
function plugin(
  fastify: FastifyInstance,
  options: FastifyCircuitBreakerOptions,
  done: (error?: Error) => void,
): void {
  let settings: PluginSettings
  try {
    settings = resolvePluginOptions(options)
  } catch (error) {
    done(error as Error)
    return
  }
  const context: PluginContext = {
    settings,
    flights: new FlightTable(),
    circuits: new WeakMap(),
    names: new Set(),
    getCircuits: new Map(),
    lastId: 0,
    transitions: settings.logTransitions ? new TransitionLog(fastify.log) : undefined,
  }
  context.flights.declare(fastify)
  fastify.decorateRequest('_cbTime', 0)
  fastify.decorateRequest('_cbIsOpen', false)
  fastify.decorateRequest('_cbRouteId', 0)
  fastify.decorate('circuitBreakers', settings.registry)
  fastify.decorate('circuitBreaker', (route?: CircuitBreakerRouteOptions | null) =>
    compatCircuit(context, route),
  )
  fastify.addHook('onRoute', (route) => onRoute(context, route))
  fastify.addHook('onSend', onSendHook(context))
  fastify.addHook('onError', onErrorHook(context))
  fastify.addHook('onRequestAbort', onAbortHook(context))
  const { transitions } = context
  if (transitions !== undefined)
    fastify.addHook('onClose', (_app, close) => {
      transitions.stop()
      close()
    })
  if (settings.statusRoute !== undefined) addStatusRoute(fastify, settings)
  done()
}

function compatCircuit(
  context: PluginContext,
  route: CircuitBreakerRouteOptions | null | undefined,
): FastifyCircuitBreakerBeforeHandler {
  const settings = settingsOf(context.settings.defaults, layerOf(route ?? {}, ''), '')
  return new Circuit(context, settings, 'compat').preHandler
}

/** Names the compat circuits on the route, and adds the route's config circuit if it has one. */
function onRoute(context: PluginContext, route: RouteOptions): void {
  const given: unknown = route.preHandler
  const handlers: unknown[] = given === undefined ? [] : Array.isArray(given) ? given : [given]
  let guarded = false
  for (const handler of handlers) {
    const circuit = typeof handler === 'function' ? context.circuits.get(handler) : undefined
    if (circuit?.form !== 'compat') continue
    circuit.bind(route.method, route.url)
    guarded = true
  }
  const config = ownConfig(route.config)
  const layer = configLayer(context, config, guarded)
  if (layer === undefined) return
  const circuit =
    headOfGet(context, route, config) ??
    new Circuit(context, settingsOf(context.settings.defaults, layer, `${CONFIG}.`), 'config')
  circuit.bind(route.method, route.url)
  if (isGet(route.method)) context.getCircuits.set(route.url, { config, circuit })
  // First, so that a refused request costs no other preHandler any work.
  route.preHandler = [circuit.preHandler, ...(handlers as FastifyCircuitBreakerBeforeHandler[])]
}

/**
 * The circuit of the GET route a HEAD route mirrors. Fastify adds a HEAD route to every GET
 * route, with the same config; a HEAD request then runs the GET handler, so it shares the GET
 * route's circuit rather than getting one of its own. (A compat preHandler is shared already:
 * Fastify copies it to the HEAD route.)
 */
function headOfGet(
  context: PluginContext,
  route: RouteOptions,
  config: unknown,
): Circuit | undefined {
  if (route.method !== 'HEAD') return undefined
  const get = context.getCircuits.get(route.url)
  return get !== undefined && get.config === config ? get.circuit : undefined
}

function isGet(method: RouteOptions['method']): boolean {
  return method === 'GET' || (Array.isArray(method) && method.includes('GET'))
}

/** The route's `config.circuitBreaker`, when the config has it as its own property. */
function ownConfig(config: unknown): unknown {
  return isOptionsObject(config) && Object.hasOwn(config, 'circuitBreaker')
    ? config.circuitBreaker
    : undefined
}

function configLayer(context: PluginContext, value: unknown, guarded: boolean): Layer | undefined {
  if (value === false) return undefined
  // Under `global`, a route already guarded by app.circuitBreaker() keeps that circuit alone.
  if (value === undefined) return context.settings.global && !guarded ? EMPTY_LAYER : undefined
  expect(isOptionsObject(value), CONFIG, 'an options object or false', value)
  return layerOf(value, `${CONFIG}.`)
}

function addStatusRoute(fastify: FastifyInstance, settings: PluginSettings): void {
  const { registry, statusRoute } = settings
  fastify.get(statusRoute!, { config: { circuitBreaker: false } }, (_request, reply) => {
    const health = registry.health()
    reply.code(healthStatusCode(health)).header('cache-control', 'no-store').send(health)
  })
}

const wrapped = fp(plugin, { fastify: '5.x', name: '@tripswitch/fastify' })

/**
 * The plugin: `await app.register(fastifyCircuitBreaker, options)`. A drop-in for
 * `@fastify/circuit-breaker`; see {@link FastifyCircuitBreakerOptions}.
 */
export const fastifyCircuitBreaker: FastifyCircuitBreakerPlugin = Object.assign(wrapped, {
  default: wrapped,
  fastifyCircuitBreaker: wrapped,
}) as FastifyCircuitBreakerPlugin
