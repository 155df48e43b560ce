// @ts-check
// Small DOM helpers. Data reaches the DOM through textContent or attributes, never HTML parsing.

const SVG_NS = 'http://www.w3.org/2000/svg'

/**
 * The element with `id`, which the page template must contain.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`The page has no #${id}`)
  return element
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const element = document.createElement(tag)
  if (className) element.className = className
  if (text !== undefined) element.textContent = text
  return element
}

/**
 * @param {string} tag
 * @param {Record<string, string>} attributes
 * @returns {SVGElement}
 */
export function svg(tag, attributes) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag))
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value)
  return element
}

/**
 * Sets text only when it changed, so an unchanged cell costs a string comparison.
 * @param {Element} element
 * @param {string} text
 */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text
}

/**
 * @param {Element} element
 * @param {string} name
 * @param {string} value
 */
export function setAttr(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value)
}

/**
 * Makes `parent`'s children exactly `nodes`, in order, moving only what is out of place.
 * @param {Element} parent
 * @param {readonly Element[]} nodes
 */
export function reconcile(parent, nodes) {
  nodes.forEach((node, i) => {
    const current = parent.children[i]
    if (current !== node) parent.insertBefore(node, current ?? null)
  })
  while (parent.children.length > nodes.length) parent.lastElementChild?.remove()
}
