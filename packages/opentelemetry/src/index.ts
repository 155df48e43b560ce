export { CIRCUIT } from './attributes.ts'
export { type Disposer, INSTRUMENTATION_SCOPE, instrument } from './instrument.ts'
export { checkInstrumentOptions, type InstrumentOptions } from './options.ts'
export { OPEN_EVENT, REJECT_EVENT } from './spans.ts'
