import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
// The `repo` project does not resolve the `@tripswitch/source` condition, so sources are imported
// by path (only modules whose runtime imports stay inside their own package).
import { OPTION_NAMES } from '../packages/core/src/adapter.ts'
import { CircuitState, ErrorCode } from '../packages/core/src/index.ts'
import { CIRCUIT_OPEN_CODE, CIRCUIT_TIMEOUT_CODE } from '../packages/fastify/src/errors.ts'
import { COMPAT_DEFAULTS } from '../packages/fastify/src/options.ts'

// Every package README documents every option (with unit and default) and every event. The
// names come from the sources: core's runtime `OPTION_NAMES`, `ErrorCode` and `CircuitState`,
// and, for what exists only as a type (adapter options, events, payloads), the declarations
// parsed with the TypeScript parser. Adding an option or an event without documenting it fails.

const root = resolve(import.meta.dirname, '..')

// ---- sources ---------------------------------------------------------------------------------

const parsed = new Map<string, ts.SourceFile>()

function source(path: string): ts.SourceFile {
  const file = path.startsWith('/') ? path : join(root, 'packages', path)
  let sf = parsed.get(file)
  if (sf === undefined) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    parsed.set(file, sf)
  }
  return sf
}

type Declaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.ClassDeclaration

function declaration(path: string, name: string): Declaration {
  const found = source(path).statements.find(
    (s): s is Declaration =>
      (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isClassDeclaration(s)) &&
      s.name?.text === name,
  )
  if (found === undefined) throw new Error(`${name} is not declared in ${path}`)
  return found
}

function nameOf(member: ts.Node): string | undefined {
  const name = (member as { name?: ts.PropertyName }).name
  if (name === undefined) return undefined
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text
  return undefined
}

/** The members declared by interface / type literal / class `name` itself (not inherited). */
function membersOf(path: string, name: string): string[] {
  const decl = declaration(path, name)
  const members: readonly ts.Node[] = ts.isTypeAliasDeclaration(decl)
    ? ts.isTypeLiteralNode(decl.type)
      ? decl.type.members
      : []
    : decl.members
  const names = members
    .filter((m) => !ts.isConstructorDeclaration(m) && !ts.isMethodDeclaration(m))
    .filter((m) => !(ts.canHaveModifiers(m) && hasModifier(m, ts.SyntaxKind.PrivateKeyword)))
    .filter((m) => !(ts.canHaveModifiers(m) && hasModifier(m, ts.SyntaxKind.StaticKeyword)))
    .map(nameOf)
    .filter((n): n is string => n !== undefined)
  if (names.length === 0) throw new Error(`${name} in ${path} declares no members`)
  return names
}

function hasModifier(node: ts.HasModifiers, kind: ts.SyntaxKind): boolean {
  return ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false
}

/** The string keys given to `Omit<...>` (or `Pick<...>`) where `name` is declared. */
function keysOfUtility(path: string, name: string, utility: 'Omit' | 'Pick'): string[] {
  const keys: string[] = []
  const visit = (node: ts.Node): void => {
    if (
      (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) &&
      (ts.isTypeReferenceNode(node) ? node.typeName : node.expression).getText() === utility
    ) {
      const arg = node.typeArguments?.[1]
      const literals = arg === undefined ? [] : ts.isUnionTypeNode(arg) ? arg.types : [arg]
      for (const t of literals)
        if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) keys.push(t.literal.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(declaration(path, name))
  return keys
}

/** Parameter names of function `name`, or of method `method` of class `name`. */
function parametersOf(path: string, name: string, method?: string): string[] {
  const sf = source(path)
  let fn: ts.SignatureDeclaration | undefined
  for (const s of sf.statements) {
    if (method === undefined && ts.isFunctionDeclaration(s) && s.name?.text === name) fn = s
    if (method !== undefined && ts.isClassDeclaration(s) && s.name?.text === name)
      fn = s.members.find((m): m is ts.MethodDeclaration => nameOf(m) === method)
  }
  if (fn === undefined) throw new Error(`${method ?? name} is not declared in ${path}`)
  return fn.parameters.map((p) => p.name.getText())
}

/** Event name -> payload fields, from an events interface (`{ ... }` or `Events['name']`). */
function eventsOf(path: string, name: string, known = new Map<string, string[]>()) {
  const decl = declaration(path, name)
  const events = new Map<string, string[]>()
  if (!ts.isInterfaceDeclaration(decl)) throw new Error(`${name} is not an interface`)
  for (const member of decl.members) {
    const event = nameOf(member)
    const type = ts.isPropertySignature(member) ? member.type : undefined
    if (event === undefined || type === undefined) continue
    if (ts.isTypeLiteralNode(type)) {
      events.set(
        event,
        type.members.map(nameOf).filter((n): n is string => n !== undefined),
      )
    } else if (ts.isIndexedAccessTypeNode(type) && ts.isLiteralTypeNode(type.indexType)) {
      const fields = known.get(type.indexType.literal.getText().slice(1, -1))
      if (fields === undefined) throw new Error(`${name}.${event}: unknown payload`)
      events.set(event, fields)
    } else {
      throw new Error(`${name}.${event}: payload is not a type literal`)
    }
  }
  if (events.size === 0) throw new Error(`${name} declares no events`)
  return events
}

// ---- READMEs ---------------------------------------------------------------------------------

interface Row {
  readonly header: readonly string[]
  readonly cells: readonly string[]
}

function readme(pkg: string): string {
  return readFileSync(join(root, 'packages', pkg, 'README.md'), 'utf8')
}

/** The part of `markdown` under heading `title`, up to the next heading of the same or a higher level. */
function section(markdown: string, title: string): string {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, '') === title)
  if (start < 0) throw new Error(`no section "${title}"`)
  const level = lines[start]!.match(/^#+/)![0].length
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{1,${level}} `).test(l))
  return lines.slice(start, end < 0 ? undefined : end).join('\n')
}

function cellsOf(line: string): string[] {
  return line
    .replaceAll('\\|', '\u0000')
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.replaceAll('\u0000', '|').trim())
}

/** Every body row of every table in `markdown`, with its table's header. */
function rowsOf(markdown: string): Row[] {
  const rows: Row[] = []
  let header: string[] | undefined
  let previous = ''
  for (const line of markdown.split('\n')) {
    if (!line.trimStart().startsWith('|')) {
      header = undefined
    } else if (/^\s*\|[\s:|-]+\|\s*$/.test(line)) {
      header = cellsOf(previous)
    } else if (header !== undefined) {
      rows.push({ header, cells: cellsOf(line) })
    }
    previous = line
  }
  return rows
}

/** The code spans of a cell: `` `detectError(ctx)` `` names `detectError`. */
function namesIn(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\(.*$/, '').trim())
}

/** Rows whose first cell names `name` (as `` `name` `` or `` `name(...)` ``). */
function rowsNaming(rows: readonly Row[], name: string): Row[] {
  return rows.filter((r) => namesIn(r.cells[0] ?? '').includes(name))
}

function cell(row: Row, column: string): string | undefined {
  const index = row.header.findIndex((h) => h.toLowerCase().startsWith(column.toLowerCase()))
  return index < 0 ? undefined : row.cells[index]
}

const isDash = (text: string) => text.replace(/[-–—\s]/g, '') === ''

/**
 * Names without a table row that has a column starting with each of `columns`: a `value` column
 * must hold more than a dash; a `present` column may say "–" (e.g. no unit) but not be blank.
 */
function undocumented(
  markdown: string,
  names: Iterable<string>,
  columns: Readonly<Record<string, 'value' | 'present'>>,
): string[] {
  const rows = rowsOf(markdown)
  return [...names].filter(
    (name) =>
      !rowsNaming(rows, name).some((row) =>
        Object.entries(columns).every(([column, need]) => {
          const text = cell(row, column)
          return text !== undefined && text !== '' && (need === 'present' || !isDash(text))
        }),
      ),
  )
}

/** Option names without a row that documents their unit and their default. */
const withoutUnitAndDefault = (markdown: string, names: Iterable<string>) =>
  undocumented(markdown, names, { Unit: 'present', Default: 'value' })

/** Core option names an adapter's table does not mention (with a default, or as refused). */
const notListed = (markdown: string, names: Iterable<string>) =>
  undocumented(markdown, names, { Default: 'value' })

/** Names without a row that says they are refused. */
function notRefused(markdown: string, names: Iterable<string>): string[] {
  const rows = rowsOf(markdown)
  return [...names].filter(
    (name) => !rowsNaming(rows, name).some((row) => /refused/i.test(row.cells.join(' '))),
  )
}

/** Events without a row giving every payload field. */
function eventsMissing(markdown: string, events: ReadonlyMap<string, string[]>): string[] {
  const rows = rowsOf(markdown).filter((r) => cell(r, 'Payload') !== undefined)
  const missing: string[] = []
  for (const [event, fields] of events) {
    const ok = rowsNaming(rows, event).some((row) => {
      const payload = cell(row, 'Payload') ?? ''
      return fields.every((f) => new RegExp(`\\b${f}\\b`).test(payload))
    })
    if (!ok) missing.push(`${event} { ${fields.join(', ')} }`)
  }
  return missing
}

function mentioned(markdown: string, names: Iterable<string>): string[] {
  return [...names].filter((name) => !markdown.includes(`\`${name}\``))
}

const minus = (a: Iterable<string>, ...b: Iterable<string>[]) => {
  const drop = new Set(b.flatMap((x) => [...x]))
  return [...new Set(a)].filter((x) => !drop.has(x))
}

// ---- names from the sources ------------------------------------------------------------------

const coreOptions = [...OPTION_NAMES]
/** Core options that are the registry's, not a breaker default's (`BreakerDefaults` omits them). */
const registryOwned = keysOfUtility('core/src/registry.ts', 'BreakerDefaults', 'Omit')
const breakerEvents = eventsOf('core/src/events.ts', 'CircuitBreakerEvents')
const registryEvents = eventsOf('core/src/registry.ts', 'RegistryEvents', breakerEvents)

/** The core options an adapter type accepts: core's minus what `BreakerDefaults` and it omit. */
function coreAccepted(path: string, name: string): string[] {
  return minus(coreOptions, registryOwned, keysOfUtility(path, name, 'Omit'))
}

function expectEvents(markdown: string): void {
  expect(eventsMissing(markdown, breakerEvents), 'breaker events').toEqual([])
  expect(mentioned(markdown, registryEvents.keys()), 'registry events').toEqual([])
}

// ---- the checks ------------------------------------------------------------------------------

describe('the README checker', () => {
  it('reads the option names of the core type as the runtime list', () => {
    expect(membersOf('core/src/options.ts', 'CircuitBreakerOptions').sort()).toEqual(
      [...coreOptions].sort(),
    )
    expect(registryOwned.sort()).toEqual(['clock', 'name', 'store'])
    expect([...breakerEvents.keys()]).toContain('stateChange')
  })

  it('finds what is missing', () => {
    const markdown = [
      '| Option | Unit | Default |',
      '| --- | --- | --- |',
      '| `a(x)` | ms | 1 |',
    ].join('\n')
    expect(withoutUnitAndDefault(markdown, ['a', 'b'])).toEqual(['b'])
    expect(withoutUnitAndDefault(markdown.replace('| 1 |', '| – |'), ['a'])).toEqual(['a'])
    expect(withoutUnitAndDefault(markdown.replace('| ms |', '| – |'), ['a'])).toEqual([])
    expect(withoutUnitAndDefault(markdown.replace('| ms |', '|  |'), ['a'])).toEqual(['a'])
    expect(
      eventsMissing(
        '| Event | Payload |\n| - | - |\n| `e` | `{ x }` |',
        new Map([['e', ['x', 'y']]]),
      ),
    ).toEqual(['e { x, y }'])
  })
})

describe('@tripswitch/core README', () => {
  const md = readme('core')

  it('documents every breaker option with unit and default', () => {
    expect(withoutUnitAndDefault(section(md, 'Options'), coreOptions)).toEqual([])
    const backoff = membersOf('core/src/options.ts', 'BackoffOptions').map((k) => `backoff.${k}`)
    expect(withoutUnitAndDefault(section(md, 'backoff'), backoff)).toEqual([])
  })

  it('documents every registry and MemoryStore option with unit and default', () => {
    const registry = membersOf('core/src/registry.ts', 'CircuitBreakerRegistryOptions')
    expect(withoutUnitAndDefault(section(md, 'Registry'), registry)).toEqual([])
    const memory = membersOf('core/src/memory-store.ts', 'MemoryStoreOptions')
    expect(withoutUnitAndDefault(section(md, 'MemoryStore'), memory)).toEqual([])
  })

  it('documents every breaker and registry event with its payload', () => {
    expect(eventsMissing(section(md, 'Events'), breakerEvents)).toEqual([])
    expect(eventsMissing(section(md, 'Events'), registryEvents)).toEqual([])
  })

  it('documents every error code with the fields of its error', () => {
    const rows = rowsOf(section(md, 'Errors'))
    for (const code of Object.values(ErrorCode))
      expect(
        rows.some((r) => namesIn(cell(r, '`code`') ?? '').includes(code)),
        code,
      ).toBe(true)
    const errors: Record<string, string> = {
      CircuitOpenError: ErrorCode.CircuitOpen,
      CircuitTimeoutError: ErrorCode.CircuitTimeout,
      InvalidOptionsError: ErrorCode.InvalidOptions,
    }
    for (const [error, code] of Object.entries(errors)) {
      const row = rows.find((r) => namesIn(cell(r, '`code`') ?? '').includes(code))
      const fields = membersOf('core/src/errors.ts', error)
      expect(minus(fields, namesIn(cell(row!, 'Fields') ?? '')), error).toEqual([])
    }
  })

  it('documents every snapshot field, state and health field', () => {
    const snapshot = membersOf('core/src/snapshot.ts', 'CircuitSnapshot')
    expect(undocumented(section(md, 'Snapshot'), snapshot, { Meaning: 'value' })).toEqual([])
    expect(mentioned(md, Object.values(CircuitState))).toEqual([])
    expect(mentioned(md, membersOf('core/src/registry.ts', 'RegistryHealth'))).toEqual([])
  })
})

describe('@tripswitch/express README', () => {
  const md = readme('express')
  const file = 'express/src/options.ts'
  const own = [
    ...membersOf(file, 'ExpressAdapterOptions'),
    ...membersOf(file, 'WithoutRegistry'),
    ...membersOf(file, 'WithRegistry'),
  ]

  it('documents every adapter option with unit and default', () => {
    expect(withoutUnitAndDefault(section(md, 'Adapter options'), own)).toEqual([])
    const status = parametersOf('express/src/status.ts', 'circuitStatus')
    expect(withoutUnitAndDefault(md, status)).toEqual([])
  })

  it('lists every core option it passes on, and those it refuses', () => {
    const accepted = coreAccepted(file, 'ExpressBreakerOptions')
    expect(notListed(section(md, 'Core breaker options'), accepted)).toEqual([])
    expect(notRefused(md, minus(coreOptions, accepted, own))).toEqual([])
  })

  it('documents every event', () => expectEvents(section(md, 'Events')))
})

describe('@tripswitch/fastify README', () => {
  const md = readme('fastify')
  const file = 'fastify/src/options.ts'
  const route = membersOf(file, 'CircuitBreakerRouteOptions')
  const plugin = membersOf(file, 'FastifyCircuitBreakerOptions')

  it('documents every plugin and circuit option with unit and default', () => {
    expect(withoutUnitAndDefault(section(md, 'Plugin options'), plugin)).toEqual([])
    expect(withoutUnitAndDefault(section(md, 'Circuit options'), route)).toEqual([])
    expect(minus(Object.keys(COMPAT_DEFAULTS), plugin, route)).toEqual([])
  })

  it('lists every core option it passes on, and refuses the rest', () => {
    const accepted = coreAccepted(file, 'CircuitBreakerRouteOptions')
    expect(notListed(section(md, 'Core breaker options'), accepted)).toEqual([])
    const refused = minus(coreOptions, accepted, route, plugin)
    expect(refused.length).toBeGreaterThan(0)
    expect(notRefused(section(md, 'Core breaker options'), refused)).toEqual([])
  })

  it('documents the answer codes and every event', () => {
    expect(mentioned(md, [CIRCUIT_OPEN_CODE, CIRCUIT_TIMEOUT_CODE])).toEqual([])
    expectEvents(section(md, 'Events'))
  })
})

describe('@tripswitch/nestjs README', () => {
  const md = readme('nestjs')
  const file = 'nestjs/src/circuit-breaker.options.ts'
  const decorator = membersOf(file, 'CircuitBreakerDecoratorOptions')

  it('documents every module option (forRoot and forRootAsync) with unit and default', () => {
    const module = [
      ...membersOf(file, 'TripswitchModuleOptions'),
      ...membersOf('nestjs/src/circuit-breaker.module-definition.ts', 'TripswitchModuleExtras'),
    ]
    expect(withoutUnitAndDefault(section(md, 'Module options'), module)).toEqual([])
    const nest = dirname(
      createRequire(join(root, 'packages/nestjs/package.json')).resolve('@nestjs/common'),
    )
    const asyncFile = join(
      nest,
      'module-utils/interfaces/configurable-module-async-options.interface.d.ts',
    )
    const asyncOptions = [
      ...membersOf(asyncFile, 'ConfigurableModuleAsyncOptions'),
      ...keysOfUtility(asyncFile, 'ConfigurableModuleAsyncOptions', 'Pick'),
    ]
    expect(withoutUnitAndDefault(section(md, 'Module options'), asyncOptions)).toEqual([])
  })

  it('documents every decorator option, the core options it passes on and those it refuses', () => {
    expect(withoutUnitAndDefault(section(md, 'Decorator options'), decorator)).toEqual([])
    const accepted = coreAccepted(file, 'CircuitBreakerDecoratorOptions')
    expect(notListed(section(md, 'Decorator options'), accepted)).toEqual([])
    const refused = minus(coreOptions, accepted, decorator)
    expect(refused.length).toBeGreaterThan(0)
    expect(notRefused(section(md, 'Decorator options'), refused)).toEqual([])
  })

  it('documents the health indicator parameter and every event', () => {
    const health = parametersOf(
      'nestjs/src/circuit-breaker.health-indicator.ts',
      'CircuitBreakerHealthIndicator',
      'isHealthy',
    )
    expect(withoutUnitAndDefault(section(md, 'Health (Terminus)'), health)).toEqual([])
    expectEvents(section(md, 'Events'))
  })
})

describe('@tripswitch/axios README', () => {
  const md = readme('axios')
  const file = 'axios/src/options.ts'
  const outcome = membersOf(file, 'AxiosOutcomeOptions')
  const attach = [...membersOf(file, 'AttachOptions'), ...outcome]
  const request = [...membersOf(file, 'RequestCircuitOptions'), ...outcome]

  it('documents every attach and per-request option with unit and default', () => {
    expect(withoutUnitAndDefault(section(md, 'Options'), attach)).toEqual([])
    expect(withoutUnitAndDefault(section(md, 'Per-request options'), request)).toEqual([])
  })

  it('lists every core option it passes on, and refuses the rest', () => {
    const accepted = coreAccepted(file, 'AxiosBreakerOptions')
    expect(notListed(section(md, 'Core breaker options'), accepted)).toEqual([])
    const refused = minus(coreOptions, accepted, attach)
    expect(refused.length).toBeGreaterThan(0)
    expect(notRefused(section(md, 'Core breaker options'), refused)).toEqual([])
  })

  it('documents every event', () => expectEvents(section(md, 'Events')))
})

describe('@tripswitch/redis README', () => {
  const md = readme('redis')

  it('documents every RedisStore option with unit and default', () => {
    const options = membersOf('redis/src/options.ts', 'RedisStoreOptions')
    expect(withoutUnitAndDefault(section(md, 'Options'), options)).toEqual([])
  })

  it('documents every event, and the errors a storeError carries', () => {
    expectEvents(section(md, 'Events'))
    const errors = source('redis/src/index.ts')
      .statements.filter(ts.isExportDeclaration)
      .flatMap((s) =>
        s.exportClause !== undefined && ts.isNamedExports(s.exportClause)
          ? s.exportClause.elements.map((e) => e.name.text)
          : [],
      )
      .filter((name) => name.endsWith('Error'))
    expect(errors.length).toBeGreaterThan(0)
    expect(mentioned(md, errors)).toEqual([])
  })
})

describe('@tripswitch/fetch README', () => {
  const md = readme('fetch')
  const file = 'fetch/src/options.ts'
  const outcome = membersOf(file, 'FetchOutcomeOptions')
  const wrapper = [...membersOf(file, 'SharedOptions'), ...outcome]
  const request = [...membersOf(file, 'RequestCircuitOptions'), ...outcome]
  const interceptor = [
    ...membersOf('fetch/src/interceptor-options.ts', 'InterceptorOptions'),
    ...membersOf(file, 'SharedOptions'),
  ]

  it('documents every wrapper, per-request and interceptor option with unit and default', () => {
    expect(withoutUnitAndDefault(section(md, 'Options'), wrapper)).toEqual([])
    expect(withoutUnitAndDefault(section(md, 'Per-request options'), request)).toEqual([])
    expect(withoutUnitAndDefault(md, interceptor)).toEqual([])
  })

  it('lists every core option it passes on, and refuses the rest', () => {
    const accepted = coreAccepted(file, 'FetchBreakerOptions')
    expect(notListed(section(md, 'Core breaker options'), accepted)).toEqual([])
    const refused = minus(coreOptions, accepted, wrapper)
    expect(refused.length).toBeGreaterThan(0)
    expect(notRefused(section(md, 'Core breaker options'), refused)).toEqual([])
  })

  it('documents every event', () => expectEvents(section(md, 'Events')))
})
