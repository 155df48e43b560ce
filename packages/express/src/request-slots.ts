import type { Response } from 'express'

/**
 * Symbol-keyed slots for the middleware's per-request state, kept in `res.locals`.
 *
 * Express gives every request a fresh hidden class (it swaps the prototype of `req` and `res`
 * per request), so each property added to `req` or `res` copies their whole descriptor list
 * (about 1 KB per property, and the time to build it). `res.locals` is Express's per-request
 * scratch object, created without a prototype, so V8 keeps it as a hash table: a new key is
 * an insert, not a new hidden class. Symbol keys stay out of `Object.keys`, `for...in` and JSON,
 * so templates and `res.json(res.locals)` never see them.
 */
export type Slots = Record<symbol, unknown>

/** The request's slots: `res.locals`, made when something other than Express built `res`. */
export function slotsOf(res: Response): Slots {
  const locals = res.locals as Slots | undefined
  if (locals !== undefined && locals !== null) return locals
  const made: Slots = Object.create(null) as Slots
  res.locals = made as Response['locals']
  return made
}
