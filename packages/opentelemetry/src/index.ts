export { type Disposer, INSTRUMENTATION_SCOPE, instrument } from './instrument.ts'
export { CIRCUIT } from './metrics.ts'
export { checkInstrumentOptions, type InstrumentOptions } from './options.ts'
export { OPEN_EVENT, REJECT_EVENT } from './spans.ts'
