import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AssetName } from './route.ts'

/** A file of the page, read once. */
export interface Asset {
  readonly contentType: string
  readonly body: Buffer
}

const CONTENT_TYPES: Readonly<Record<AssetName, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
}

/** The placeholder of `index.html` that becomes the mount prefix (with its trailing slash). */
export const BASE_PLACEHOLDER = '%BASE%'

/**
 * The package's `assets/` folder: next to `src/` and `dist/` alike, so the same relative path
 * works from the sources (tests) and from the build (users). `__dirname` in the CommonJS build,
 * `import.meta.url` in the ES module one.
 */
function assetsDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
  return join(here, '..', 'assets')
}

let template: string | undefined
const files = new Map<AssetName, Asset>()

/** The HTML template, read on first use; throws when the package ships without it. */
export function pageTemplate(): string {
  template ??= readFileSync(join(assetsDir(), 'index.html'), 'utf8')
  return template
}

/** The asset `name`, read on first use; throws when the package ships without it. */
export function asset(name: AssetName): Asset {
  let found = files.get(name)
  if (found === undefined) {
    found = { contentType: CONTENT_TYPES[name], body: readFileSync(join(assetsDir(), name)) }
    files.set(name, found)
  }
  return found
}

/** `text` escaped for an HTML attribute value (and for text). */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The page for a dashboard mounted at `prefix` (no trailing slash). */
export function renderPage(prefix: string): string {
  return pageTemplate().replaceAll(BASE_PLACEHOLDER, escapeAttribute(`${prefix}/`))
}
