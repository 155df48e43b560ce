import { readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A file of the page, read once. */
export interface Asset {
  readonly contentType: string
  readonly body: Buffer
}

/**
 * The content type of each kind of file served under `assets/`, by extension. Files of other
 * kinds (the `index.html` template) are not served as they are.
 */
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['.js', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
])

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
let files: ReadonlyMap<string, Asset> | undefined

/** The HTML template, read on first use; throws when the package ships without it. */
export function pageTemplate(): string {
  template ??= readFileSync(join(assetsDir(), 'index.html'), 'utf8')
  return template
}

/**
 * The file served as `assets/<path>`, where `path` is the request's own text after `assets/`
 * (still percent-encoded, never decoded nor joined to a folder): an exact key of the map of
 * every servable file, so `..`, encoded slashes, backslashes or NUL find nothing. The map is
 * built on first use and never changes; reading it throws when the package ships without its
 * `assets/` folder.
 */
export function findAsset(path: string): Asset | undefined {
  files ??= readAssets(assetsDir())
  return files.get(path)
}

/** Every file under `dir` (recursively) of a kind in CONTENT_TYPES, by its `/`-separated path. */
function readAssets(dir: string): ReadonlyMap<string, Asset> {
  const found = new Map<string, Asset>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const contentType = CONTENT_TYPES.get(extname(entry.name))
    if (contentType === undefined || !entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    found.set(relative(dir, path).split(sep).join('/'), { contentType, body: readFileSync(path) })
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
