import { defineConfig, type UserConfig } from 'tsdown'

// The build every published package shares: ESM (.mjs) and CommonJS (.cjs) with declarations
// and source maps. A package's tsdown.config.ts only says what differs: its entries, its
// platform, and (fastify) a CommonJS entry of its own.

/** What differs between the packages' builds. */
export interface PackageBuild {
  /** Entry points, relative to the package, e.g. `['src/index.ts']`. */
  readonly entry: string[] | Record<string, string>
  /**
   * `'neutral'` for code that must not assume Node (core, which browsers bundle).
   * @default 'node'
   */
  readonly platform?: 'node' | 'neutral'
  /**
   * Entries of a separate CommonJS build, for a package whose `require()` must return its
   * default export itself (`cjsDefault`). Without it, one build emits both formats from `entry`.
   */
  readonly cjsEntry?: Record<string, string>
}

/** The tsdown config of a published package (its `tsdown.config.ts` default export). */
export function packageConfig({ entry, platform = 'node', cjsEntry }: PackageBuild): UserConfig {
  const shared = { dts: true, sourcemap: true, fixedExtension: true, platform } as const
  if (cjsEntry === undefined)
    return defineConfig({ ...shared, entry, format: ['esm', 'cjs'], clean: true })
  // The second build must not clean away the first one's output.
  return defineConfig([
    { ...shared, entry, format: 'esm', clean: true },
    { ...shared, entry: cjsEntry, format: 'cjs', clean: false, cjsDefault: true },
  ])
}
