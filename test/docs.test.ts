import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

// The root README and the guides in docs/ are what a new user reads first: their links must
// lead somewhere, the commands they name must exist, and their TypeScript must compile against
// the packages as they are.
const root = resolve(import.meta.dirname, '..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
]

const FENCE = /^```[^\n]*\n[\s\S]*?^```$/gm

/** The text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return markdown.replace(FENCE, '').replace(/`[^`\n]*`/g, '')
}

/** Targets of `[text](target)` and `![alt](target)` links in the prose. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (match) => match[1]!,
  )
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target)

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

function anchorsOf(markdown: string): Set<string> {
  const headings = [...markdown.replace(FENCE, '').matchAll(/^#{1,6}\s+(.+)$/gm)]
  return new Set(headings.map((match) => anchorOf(match[1]!)))
}

interface Link {
  readonly document: string
  readonly target: string
}

const links: Link[] = documents.flatMap((document) =>
  [...new Set(linkTargets(read(document)))]
    .filter((target) => !isExternal(target))
    .map((target) => ({ document, target })),
)

describe('relative links', () => {
  it('are found in every document', () => {
    for (const document of documents)
      expect(
        links.some((link) => link.document === document),
        document,
      ).toBe(true)
  })

  it.each(links.map((link) => [link.document, link.target, link] as const))(
    '%s -> %s exists',
    (_document, _target, { document, target }) => {
      const [path = '', anchor] = target.split('#')
      const file = path === '' ? join(root, document) : resolve(root, dirname(document), path)
      expect(existsSync(file), `${document} links to ${target}: no ${relative(root, file)}`).toBe(
        true,
      )
      if (anchor !== undefined && file.endsWith('.md'))
        expect(
          anchorsOf(readFileSync(file, 'utf8')).has(anchor),
          `${document} links to ${target}: no heading #${anchor}`,
        ).toBe(true)
    },
  )
})

describe('README.md', () => {
  const readme = read('README.md')
  const manifest = JSON.parse(read('package.json')) as { scripts: Record<string, string> }

  it('gives the two set-up commands', () => {
    expect(readme).toMatch(/^npm ci\b/m)
    expect(readme).toMatch(/^npm test\b/m)
    expect(manifest.scripts.test).toBeDefined()
  })

  it('names only root npm scripts that exist', () => {
    const named = new Set(
      documents.flatMap((document) =>
        [...read(document).matchAll(/\bnpm run ([\w:.-]+)/g)].map((match) => match[1]!),
      ),
    )
    expect(named.size).toBeGreaterThan(0)
    const missing = [...named].filter((script) => manifest.scripts[script] === undefined)
    expect(missing).toEqual([])
  })

  it('names every example script of package.json', () => {
    for (const script of [
      'demo',
      'offer-service',
      'probe-monitor',
      'shared-redis',
      'seed:express',
      'seed:fastify',
      'seed:nestjs',
      'seed:axios',
      'seed:core',
    ]) {
      expect(manifest.scripts[script], script).toBeDefined()
      expect(readme, script).toContain(`npm run ${script}`)
    }
  })

  it('lists every package in the packages table, linked to its README', () => {
    const section = readme.split(/^## /m).find((part) => part.startsWith('Packages'))
    expect(section).toBeDefined()
    const rows = section!.split('\n').filter((line) => line.startsWith('|'))
    for (const dir of readdirSync(join(root, 'packages'))) {
      const { name } = JSON.parse(read(`packages/${dir}/package.json`)) as { name: string }
      const row = rows.find((line) => line.includes(`(packages/${dir}/README.md)`))
      expect(row, `no row links packages/${dir}/README.md`).toBeDefined()
      expect(row).toContain(`\`${name}\``)
    }
  })

  it('links every example README', () => {
    const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
    for (const dir of examples.filter((entry) => entry.isDirectory()))
      expect(readme).toContain(`(examples/${dir.name}/README.md)`)
  })
})

/** Every Markdown file of the repository (packages, examples, bench, docs), tracked or new. */
const everyMarkdown = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'],
  { cwd: root, encoding: 'utf8' },
)
  .split('\n')
  .filter((path) => path !== '' && existsSync(join(root, path)))

/**
 * The ```ts blocks of `markdown`. A block may be preceded by an HTML comment that says what it
 * assumes, `<!-- ts-preamble ... -->` (compiled before it, not shown), or that it is not
 * compiled and why, `<!-- ts-skip: reason -->`.
 */
function typescriptBlocks(markdown: string): Array<{ code: string; skip?: string }> {
  const blocks = /(?:<!--\s*ts-(preamble|skip)([\s\S]*?)-->\s*\n)?^```ts\n([\s\S]*?)^```$/gm
  return [...markdown.matchAll(blocks)].map(([, kind, note = '', code = '']) => {
    if (kind === 'skip') return { code, skip: note.replace(/^:\s*/, '').trim() }
    return { code: kind === 'preamble' ? `${note.trim()}\n${code}` : code }
  })
}

/** The folder of the workspace that holds `document`: its nearest folder with a package.json. */
function packageFolderOf(document: string): string {
  let folder = dirname(document)
  while (folder !== '.' && !existsSync(join(root, folder, 'package.json'))) folder = dirname(folder)
  return folder
}

// Every ```ts block of every Markdown file compiles on its own against the workspace packages
// (their sources, through the @tripswitch/source condition), unless it says why not. A block
// resolves modules from the folder of the package whose document it is, as that package's own
// code does, so a package README may import that package's devDependencies (installed in its
// own node_modules when npm does not hoist them). Blocks of other languages (```js "before" code)
// are not compiled.
describe('TypeScript snippets', () => {
  const cache = `.cache/docs-snippets-${process.pid}`
  const dir = join(root, cache)
  const all = everyMarkdown.flatMap((document) =>
    typescriptBlocks(read(document)).map((block, index) => {
      const folder = packageFolderOf(document)
      const name = `${document.replace(/\W+/g, '_')}_${index + 1}.mts`
      return { file: join(folder, cache, name), folder, document, ...block }
    }),
  )
  const snippets = all.filter((snippet) => snippet.skip === undefined)

  afterAll(() => {
    for (const folder of new Set(all.map((snippet) => snippet.folder)))
      rmSync(join(root, folder, cache), { recursive: true, force: true })
  })

  it('covers every Markdown file, and a skipped block says why', () => {
    expect(everyMarkdown).toContain('packages/core/README.md')
    expect(everyMarkdown).toContain('examples/seed-scenario/README.md')
    for (const { document, skip } of all)
      if (skip !== undefined)
        expect(skip.length, `a ts-skip in ${document} needs a reason`).toBeGreaterThan(10)
  })

  it('resolve modules from the folder of their package', () => {
    expect(packageFolderOf('README.md')).toBe('.')
    expect(packageFolderOf('docs/migrate-from-opossum.md')).toBe('.')
    expect(packageFolderOf('packages/nestjs/README.md')).toBe('packages/nestjs')
    expect(packageFolderOf('examples/seed-scenario/README.md')).toBe('examples/seed-scenario')
    const nest = snippets.filter((snippet) => snippet.document === 'packages/nestjs/README.md')
    expect(nest.some(({ code }) => code.includes("from '@nestjs/terminus'"))).toBe(true)
  })

  it('compile with tsc', { timeout: 180_000 }, () => {
    expect(snippets.length).toBeGreaterThan(0)
    mkdirSync(dir, { recursive: true })
    for (const { file, code } of snippets) {
      mkdirSync(dirname(join(root, file)), { recursive: true })
      writeFileSync(
        join(root, file),
        /^\s*(import|export)\b/m.test(code) ? code : `${code}\nexport {}\n`,
      )
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: {
          isolatedDeclarations: false,
          declaration: false,
          experimentalDecorators: true,
          emitDecoratorMetadata: false,
        },
        files: snippets.map(({ file }) => relative(dir, join(root, file))),
      }),
    )
    let output = ''
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], {
        cwd: root,
        encoding: 'utf8',
      })
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error)
    }
    const where = snippets.map(({ file, document }) => `${file} = a ts block of ${document}`)
    expect(output, `${output}\n${where.join('\n')}`).toBe('')
  })
})
