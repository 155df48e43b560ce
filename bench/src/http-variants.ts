/** The servers compared by the HTTP scenario (shared by the parent and its server processes). */
export const VARIANTS = [
  'express',
  'express+tripswitch',
  'fastify',
  'fastify+tripswitch',
  'fastify+@fastify/circuit-breaker',
] as const

export type Variant = (typeof VARIANTS)[number]

export const isVariant = (value: unknown): value is Variant => VARIANTS.some((v) => v === value)
