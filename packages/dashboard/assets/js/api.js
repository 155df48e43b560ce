// @ts-check
// Where the server is (the mount prefix from the page template) and how to read its JSON.

/** The mount prefix, ending with '/', from the template. */
export const base = readBase()

function readBase() {
  const meta = document.querySelector('meta[name="tripswitch-base"]')
  const content = meta?.getAttribute('content') ?? ''
  // An unfilled template (opened as a file) falls back to the page's own folder.
  if (content === '' || content.includes('%BASE%')) return './'
  return content.endsWith('/') ? content : `${content}/`
}

/** @param {string} name */
export function circuitUrl(name) {
  try {
    return `${base}api/circuits/${encodeURIComponent(name)}`
  } catch {
    // A lone surrogate cannot be percent-encoded: such a circuit has no URL.
    return null
  }
}

/**
 * @param {string} url
 * @returns {Promise<unknown>}
 */
export async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`${response.status}`)
  return response.json()
}
