/**
 * A signal that never aborts and keeps no `abort` listener: adding one is a no-op (it could
 * never run), so a function that adds a listener on every call does not make it grow. Other
 * event types behave as usual.
 */
export function neverAborted(): AbortSignal {
  const signal = new AbortController().signal
  const add = signal.addEventListener.bind(signal)
  Object.defineProperties(signal, {
    addEventListener: {
      value(...args: Parameters<AbortSignal['addEventListener']>): void {
        if (args[0] !== 'abort') add(...args)
      },
    },
    onabort: { get: () => null, set: () => {} },
  })
  return signal
}
