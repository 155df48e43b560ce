// @ts-check
// Previous/next buttons under a table with more rows than a page holds.

import { PAGE_SIZE } from './constants.js'
import { el, setText } from './dom.js'
import { scheduleRender } from './schedule.js'
import { pages } from './state.js'

/**
 * @param {'circuits' | 'fleet'} which
 * @param {number} total rows after filtering
 */
export function clampPage(which, total) {
  const last = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1)
  if (pages[which] > last) pages[which] = last
  return pages[which]
}

/**
 * @param {HTMLElement} nav
 * @param {'circuits' | 'fleet'} which
 * @param {number} total
 */
export function renderPager(nav, which, total) {
  nav.hidden = total <= PAGE_SIZE
  if (nav.hidden) return
  if (nav.children.length === 0) {
    const previous = el('button', 'previous', 'Previous')
    previous.type = 'button'
    previous.dataset.page = '-1'
    const next = el('button', 'next', 'Next')
    next.type = 'button'
    next.dataset.page = '1'
    nav.append(previous, el('span', 'range'), next)
    nav.addEventListener('click', (event) => {
      const target = /** @type {HTMLElement} */ (event.target)
      const step = Number(target.closest('button')?.dataset.page ?? 0)
      if (step === 0) return
      pages[which] += step
      scheduleRender()
    })
  }
  const page = pages[which]
  const first = page * PAGE_SIZE + 1
  const last = Math.min(total, first + PAGE_SIZE - 1)
  const range = nav.querySelector('.range')
  if (range) setText(range, `${first}–${last} of ${total.toLocaleString('en')}`)
  const [previous, , next] = /** @type {HTMLButtonElement[]} */ ([...nav.children])
  if (previous) previous.disabled = page === 0
  if (next) next.disabled = last >= total
}
