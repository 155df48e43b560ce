// Loads the built package (TRIPSWITCH_NESTJS) from a node_modules that holds no
// @tripswitch/dashboard, in a bare `node` process: the package must load and boot without it,
// and the `dashboard` option must fail the boot naming the package to install. Prints JSON.
require('reflect-metadata')
const { Module } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')
const { TripswitchModule } = require(process.env.TRIPSWITCH_NESTJS)

async function boot(options) {
  class AppModule {}
  Module({ imports: [TripswitchModule.forRoot(options)] })(AppModule)
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false })
  try {
    await app.init()
    return 'booted'
  } catch (error) {
    return String(error?.message ?? error)
  } finally {
    await app.close()
  }
}

async function main() {
  const plain = await boot({})
  const withDashboard = await boot({ dashboard: { path: '/circuits' } })
  process.stdout.write(JSON.stringify({ plain, withDashboard }))
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error))
  process.exit(1)
})
