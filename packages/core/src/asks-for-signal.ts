/**
 * Whether `fn` may read the signal it is called with. Making an `AbortSignal` costs
 * microseconds, far more than the rest of a call, so a function that declares no parameter
 * gets none. `fn.length` alone cannot tell: `(...args)`, `(signal = x)` and a `function` reading
 * `arguments` all declare 0, so a zero-length function is read from its source, and anything
 * unusual (native, bound, a proxy) gets a signal.
 */
export function asksForSignal(fn: (...args: never[]) => unknown): boolean {
  // A function is read once (the verdict goes with it when it is collected). The verdict is
  // looked up first: `fn.length` is an accessor that costs more than the lookup.
  const known = verdicts.get(fn)
  if (known !== undefined) return known
  let source: string
  try {
    source = Function.prototype.toString.call(fn)
  } catch {
    return true
  }
  if (PARAMETERLESS_ARROW.test(source)) {
    // An arrow has no `arguments` of its own: it reads no signal, whatever its body says. Arrows
    // are often made per call (`() => fetch(url)`), and such an arrow is read again faster than
    // a verdict is stored (a WeakMap entry for a key that dies at once): only one in eight is
    // stored, so an arrow made once and called often is soon found by the lookup above.
    if (Math.random() < REMEMBERED_ARROWS) verdicts.set(fn, false)
    return false
  }
  const asks = fn.length > 0 || readsArguments(source)
  verdicts.set(fn, asks)
  return asks
}

const verdicts = new WeakMap<object, boolean>()

/** The share of parameterless arrows whose verdict is stored. */
const REMEMBERED_ARROWS = 1 / 8

function readsArguments(source: string): boolean {
  return (
    !EMPTY_PARAMETERS.test(source) || source.includes('arguments') || source.includes('[native')
  )
}

// The first parenthesis of a function's source opens its parameter list (an arrow without
// parentheses has one parameter, so its length is 1): empty means "()" with blanks only.
const EMPTY_PARAMETERS = /^[^(]*\(\s*\)/

// An arrow's source starts with its parameters (after `async`); "()" with blanks only, then
// the arrow. Only the start is read, however long the body.
const PARAMETERLESS_ARROW = /^(?:async\s*)?\(\s*\)\s*=>/
