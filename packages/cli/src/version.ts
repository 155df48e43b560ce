import manifest from '../package.json' with { type: 'json' }

/** The version of @tripswitch/cli (`tripswitch --version`). */
export const VERSION: string = manifest.version
