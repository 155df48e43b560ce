// Preloaded with `node --require`: when NEST_MODULES names a node_modules directory, every
// require of a Nest package (and of rxjs and reflect-metadata, which Nest shares with the app)
// resolves there, from any file, Nest's own included. So one process runs one whole Nest major,
// with a single copy of each package, whatever the repository installed.
const Module = require('node:module')

const dir = process.env.NEST_MODULES
const shared = /^(@nestjs\/[^/]+|rxjs|reflect-metadata)(\/.*)?$/
if (dir) {
  const resolve = Module._resolveFilename
  Module._resolveFilename = function (request, parent, isMain, options) {
    const paths = shared.test(request) ? { paths: [dir] } : options
    return resolve.call(this, request, parent, isMain, paths)
  }
}
