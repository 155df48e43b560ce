/**
 * Whether `fn` may read the signal it is called with. Making an `AbortSignal` costs
 * microseconds, far more than the rest of a call, so a function that declares no parameter
 * gets none. `fn.length` alone cannot tell: `(...args)`, `(signal = x)` and a `function` reading
 * `arguments` all declare 0, so a zero-length function is read from its source, and anything
 * unusual (native, bound, a proxy) gets a signal.
 */
export function asksForSignal(fn: (...args: never[]) => unknown): boolean {
  // A function called again is read once (the verdict goes with it when it is collected). The
  // verdict is looked up first: `fn.length` is an accessor that costs more than the lookup.
  let asks = verdicts.get(fn)
  if (asks === undefined) {
    asks = fn.length > 0 || readsArguments(fn)
    verdicts.set(fn, asks)
  }
  return asks
}

const verdicts = new WeakMap<object, boolean>()

function readsArguments(fn: (...args: never[]) => unknown): boolean {
  let source: string
  try {
    source = Function.prototype.toString.call(fn)
  } catch {
    return true
  }
  return (
    !EMPTY_PARAMETERS.test(source) || source.includes('arguments') || source.includes('[native')
  )
}

// The first parenthesis of a function's source opens its parameter list (an arrow without
// parentheses has one parameter, so its length is 1): empty means "()" with blanks only.
const EMPTY_PARAMETERS = /^[^(]*\(\s*\)/
