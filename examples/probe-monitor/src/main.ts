import { systemClock } from '@tripswitch/core'
import { ConfigError, type MonitorConfig, readConfig } from './config.ts'
import { createLogger, type Log } from './log.ts'
import { createMonitor } from './monitor.ts'
import { globalTimers, repeat } from './repeat.ts'
import { describeCycle, flakyCycle, playCycle, startUpstream, type Upstream } from './upstream.ts'

// probe-monitor: probes HTTP_CLIENT (host:port) every TIME_WINDOW seconds through a circuit
// breaker and logs each probe and every transition. See README.md for the variables.

const config = configOrExit()
const log = createLogger({
  level: config.logLevel,
  clock: systemClock,
  write: (line) => process.stdout.write(`${line}\n`),
})
const { target, upstream } = await targetOrOwnUpstream(config, log)
const monitor = createMonitor({ target, settings: config, clock: systemClock, log })
log('INFO', startMessage(config, monitor.url))

const probing = repeat(
  () =>
    monitor.probeOnce().then(
      () => undefined,
      (error: unknown) => log('ERROR', `Probe failed unexpectedly: ${String(error)}`),
    ),
  config.intervalMs,
  { clock: systemClock, timers: globalTimers },
)

// The first signal stops; a second one (SIGTERM after Ctrl-C) must not close things twice.
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return
    stopping = true
    stop(signal).catch((error: unknown) => {
      log('ERROR', `Could not stop cleanly: ${String(error)}`)
      process.exitCode = 1
    })
  })
}

/** Stops probing, cancels a probe in flight and closes the upstream; the process then exits 0. */
async function stop(signal: NodeJS.Signals): Promise<void> {
  log('INFO', `${signal} received, stopping`)
  const lastProbe = probing.stop()
  monitor.close()
  await lastProbe
  await upstream?.close()
  log('INFO', 'Stopped')
}

/** The configuration, or exit 1 with the reasons before anything is printed or started. */
function configOrExit(): MonitorConfig {
  try {
    return readConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`probe-monitor: ${error.message}\n`)
    process.exit(1)
  }
}

async function targetOrOwnUpstream(
  { target, errorThreshold }: MonitorConfig,
  log: Log,
): Promise<{ target: string; upstream: Upstream | undefined }> {
  if (target !== undefined) return { target, upstream: undefined }
  const cycle = flakyCycle(errorThreshold)
  const upstream = await startUpstream(playCycle(cycle))
  log(
    'INFO',
    `HTTP_CLIENT is not set: started a flaky upstream on ${upstream.hostPort} answering ${describeCycle(cycle)}, repeating`,
  )
  return { target: upstream.hostPort, upstream }
}

function startMessage(config: MonitorConfig, url: string): string {
  const settings = [
    `ERROR_THRESHOLD=${config.errorThreshold}`,
    `ACCEPT_CLIENT_ERRORS=${config.acceptClientErrors ? 'True' : 'False'}`,
    `LOG_LEVEL=${config.logLevel}`,
  ].join(', ')
  const seconds = (ms: number) => `${ms / 1_000} s`
  return `Probing ${url} every ${seconds(config.intervalMs)} (${settings}); an open circuit waits ${seconds(config.recoveryTimeoutMs)} before a trial probe`
}
