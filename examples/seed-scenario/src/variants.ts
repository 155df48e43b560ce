import { axiosVariant } from './adapters/axios.ts'
import { coreVariant } from './adapters/core.ts'
import { expressVariant } from './adapters/express.ts'
import { fastifyVariant } from './adapters/fastify.ts'
import { nestjsVariant } from './adapters/nestjs.ts'
import type { Variant } from './variant.ts'

/** Every variant by the name given on the command line (`npm run seed:<name>`). */
export const VARIANTS = {
  axios: axiosVariant,
  express: expressVariant,
  fastify: fastifyVariant,
  nestjs: nestjsVariant,
  core: coreVariant,
} as const satisfies Record<string, Variant>

export type VariantName = keyof typeof VARIANTS

/** `npm run demo` passes no name: the axios variant needs nothing but a client. */
export const DEFAULT_VARIANT: VariantName = 'axios'

export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[]

export function isVariantName(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name)
}
