import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'

// Builds the package with tsdown and loads dist/ in a plain node process, by `require` and by
// `import`, as users get it. Core is built first when its dist/ is missing or stale.
const root = fileURLToPath(new URL('../../../', import.meta.url))
const pkg = fileURLToPath(new URL('../', import.meta.url))
const tsdown = `${root}node_modules/.bin/tsdown`

function node(code: string, type: 'commonjs' | 'module'): unknown {
  const args = ['--input-type', type, '-e', code]
  return JSON.parse(execFileSync(process.execPath, args, { cwd: pkg, encoding: 'utf8' }))
}

// Registers the plugin, trips a circuit and reports what a user would check.
const SMOKE = `
  const app = fastify()
  await app.register(plugin, { threshold: 1 })
  app.get('/', { preHandler: app.circuitBreaker() }, (_req, reply) => reply.code(500).send('x'))
  const answer = await app.inject('/')
  const shape = {
    type: typeof plugin,
    default: plugin.default === plugin,
    fastifyCircuitBreaker: plugin.fastifyCircuitBreaker === plugin,
    direct: plugin(fastify(), {}, () => {}) === undefined,
    status: answer.statusCode,
    body: answer.json(),
    retryAfter: answer.headers['retry-after'],
  }
`

/** Core's dist/ is missing or older than one of its sources. */
function coreStale(): boolean {
  const built = `${root}packages/core/dist/index.cjs`
  if (!existsSync(built)) return true
  const src = `${root}packages/core/src`
  const newest = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .map((file) => statSync(`${src}/${file}`).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0)
  return newest > statSync(built).mtimeMs
}

beforeAll(() => {
  if (coreStale()) execFileSync(tsdown, [], { cwd: `${root}packages/core` })
  execFileSync(tsdown, [], { cwd: pkg })
}, 60_000)

describe('built package', () => {
  const expected = {
    type: 'function',
    default: true,
    fastifyCircuitBreaker: true,
    direct: true,
    status: 503,
    body: {
      statusCode: 503,
      code: 'FST_ERR_CIRCUIT_BREAKER_OPEN',
      error: 'Service Unavailable',
      message: 'Circuit open',
    },
    retryAfter: '10',
  }

  it('require() returns the plugin function itself, with .default and .fastifyCircuitBreaker', () => {
    const code = `(async () => {
      const fastify = require('fastify')
      const plugin = require('./dist/index.cjs')
      ${SMOKE}
      shape.errorClass = typeof plugin.CircuitBreakerOpenError
      console.log(JSON.stringify(shape))
    })()`
    expect(node(code, 'commonjs')).toEqual({ ...expected, errorClass: 'function' })
  })

  it('import gives the plugin as default, and as the named fastifyCircuitBreaker', () => {
    const code = `
      import fastify from 'fastify'
      import plugin, { fastifyCircuitBreaker } from './dist/index.mjs'
      ${SMOKE}
      shape.named = fastifyCircuitBreaker === plugin
      console.log(JSON.stringify(shape))`
    expect(node(code, 'module')).toEqual({ ...expected, named: true })
  })
})
