import type { Variant } from './variant.ts'

/**
 * Every variant by the name given on the command line (`npm run seed:<name>`). Each is imported
 * only when chosen, so `npm run demo` does not pay for loading Nest, Fastify and Express.
 */
export const VARIANTS = {
  axios: async () => (await import('./adapters/axios.ts')).axiosVariant,
  express: async () => (await import('./adapters/express.ts')).expressVariant,
  fastify: async () => (await import('./adapters/fastify.ts')).fastifyVariant,
  nestjs: async () => (await import('./adapters/nestjs.ts')).nestjsVariant,
  core: async () => (await import('./adapters/core.ts')).coreVariant,
  fetch: async () => (await import('./adapters/fetch.ts')).fetchVariant,
} as const satisfies Record<string, () => Promise<Variant>>

export type VariantName = keyof typeof VARIANTS

/** `npm run demo` passes no name: the axios variant needs nothing but a client. */
export const DEFAULT_VARIANT: VariantName = 'axios'

export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[]

export function isVariantName(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name)
}

/** Loads the variant called `name`. */
export function loadVariant(name: VariantName): Promise<Variant> {
  return VARIANTS[name]()
}
