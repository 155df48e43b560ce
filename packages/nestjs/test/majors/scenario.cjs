// One Nest application on a real Express-platform server, under whichever Nest major
// resolve-nest.cjs points at. Plain CommonJS with decorators applied by hand, so that it runs
// in a bare `node` process against the built package (TRIPSWITCH_NESTJS). Prints a JSON report.
require('reflect-metadata')
const { Controller, Get, InternalServerErrorException, Module } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')
const { ExpressAdapter } = require('@nestjs/platform-express')
const tripswitch = require(process.env.TRIPSWITCH_NESTJS)

const { CircuitBreaker, CircuitBreakerHealthIndicator, SkipCircuitBreaker, TripswitchModule } =
  tripswitch

class OfferController {
  offer() {
    throw new InternalServerErrorException('upstream down')
  }
  ping() {
    return { pong: true }
  }
}
const method = (name, ...decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(OfferController.prototype, name)
  for (const decorate of decorators) decorate(OfferController.prototype, name, descriptor)
}
method('offer', Get())
method('ping', Get('ping'), SkipCircuitBreaker())
CircuitBreaker({ errorThreshold: 2, recoveryTimeout: 60_000 })(OfferController)
Controller('offer')(OfferController)

class AppModule {}
// The dashboard option mounts @tripswitch/dashboard (its built dist) in onModuleInit, which
// every major calls after the controllers' routes and before the 404 handler.
const dashboard = { path: '/circuits', authorize: () => true, log: () => {} }
Module({
  imports: [TripswitchModule.forRoot({ dashboard })],
  controllers: [OfferController],
})(AppModule)

async function main() {
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false })
  await app.listen(0, '127.0.0.1')
  const base = await app.getUrl()
  const get = async (path) => {
    const response = await fetch(base.replace('[::1]', '127.0.0.1') + path)
    return { status: response.status, retryAfter: response.headers.get('retry-after') }
  }
  const offers = [await get('/offer'), await get('/offer'), await get('/offer')]
  const pings = [await get('/offer/ping'), await get('/offer/ping')]
  const health = await app.get(CircuitBreakerHealthIndicator).isHealthy()
  const url = base.replace('[::1]', '127.0.0.1')
  const page = await fetch(`${url}/circuits/`)
  const listing = await (await fetch(`${url}/circuits/api/circuits`)).json()
  const action = await fetch(`${url}/circuits/api/circuits/OfferController.offer/close`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tripswitch-action': '1' },
    body: '{"reason":"drill"}',
  })
  const board = {
    page: page.status,
    base: (await page.text()).includes('content="/circuits/"'),
    circuits: listing.circuits.map((c) => `${c.name}:${c.state}`),
    action: (await action.json()).state,
    notFound: (await get('/elsewhere')).status,
  }
  await app.close()
  const nest = {
    core: require('@nestjs/core/package.json').version,
    common: require('@nestjs/common/package.json').version,
    platform: require('@nestjs/platform-express/package.json').version,
  }
  process.stdout.write(JSON.stringify({ nest, offers, pings, health, dashboard: board }))
}

main().catch((error) => {
  process.stderr.write(String(error?.stack ?? error))
  process.exit(1)
})
