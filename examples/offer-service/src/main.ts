import { createServer } from 'node:http'
import { ConfigError, readConfig } from './config.ts'
import { close, listen } from './listen.ts'
import { consoleLog } from './log.ts'
import { createOfferService, PARTNER_BREAKER_OPTIONS } from './offer-service.ts'
import { startPartner } from './partner.ts'

// `npm run offer-service`: the partner and the offer service in one process, each on its own
// port, so the walk-through in the README needs one terminal for the services and one for curl.
async function main(): Promise<void> {
  const config = readConfig(process.env)
  const log = consoleLog()
  const partner = await startPartner({
    port: config.partnerPort,
    failing: config.partnerFailing,
    log,
  })
  const { app, dashboard } = createOfferService({ partnerUrl: partner.url, log })
  const server = createServer(app)
  const url = await listen(server, config.port)
  const { errorThreshold, recoveryTimeout } = PARTNER_BREAKER_OPTIONS
  log(
    `[offer] listening on ${url} (circuit "partner": fail_max ${errorThreshold}, reset ${recoveryTimeout / 1000} s)`,
  )
  log(
    `[offer] try: curl ${url}/offer | curl ${url}/offer/circuit | curl -X POST ${partner.url}/partner/fail`,
  )
  log(`[offer] dashboard: ${url}/circuits/ (live; actions allowed from this machine)`)

  const shutdown = (signal: string): void => {
    log(`[offer] ${signal}: shutting down`)
    // The dashboard first: it ends the event streams that open pages hold.
    dashboard.close()
    Promise.all([close(server), partner.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

main().catch((error: unknown) => {
  // A bad variable or a taken port: one clear line, no stack, exit code 1.
  const known = error instanceof ConfigError || hasCode(error, 'EADDRINUSE')
  console.error(`offer-service: ${known && error instanceof Error ? error.message : String(error)}`)
  if (!known && error instanceof Error && error.stack) console.error(error.stack)
  process.exit(1)
})

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
}
