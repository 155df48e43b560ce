// A caller's signal composed with a request's deadline, without `AbortSignal.any`: on Node 20,
// `AbortSignal.any` keeps a WeakRef per composed signal in its long-lived sources and never
// drops them, so one shutdown signal passed to every timed request grows without bound. Here
// each caller signal gets one listener, whatever the number of requests, and the requests that
// follow it are held weakly and forgotten once collected.

interface Followers {
  readonly refs: Set<WeakRef<AbortSignal>>
}

/** Followers of each caller signal; the entry goes with the signal. */
const followers = new WeakMap<AbortSignal, Followers>()
/** The controller of each follower signal, alive as long as the signal is (an ephemeron). */
const controllers = new WeakMap<AbortSignal, AbortController>()
/** Drops a follower once its signal is collected (its request and response are gone). */
const forget = new FinalizationRegistry<{
  refs: Set<WeakRef<AbortSignal>>
  ref: WeakRef<AbortSignal>
}>(({ refs, ref }) => refs.delete(ref))

function followersOf(caller: AbortSignal): Followers {
  let entry = followers.get(caller)
  if (entry !== undefined) return entry
  const refs = new Set<WeakRef<AbortSignal>>()
  entry = { refs }
  followers.set(caller, entry)
  caller.addEventListener(
    'abort',
    () => {
      for (const ref of refs) {
        const signal = ref.deref()
        if (signal !== undefined) controllers.get(signal)?.abort(caller.reason)
      }
      refs.clear()
    },
    { once: true },
  )
  return entry
}

/**
 * Makes `controller` abort with the caller's reason when `caller` aborts, for as long as its
 * signal lives: the request's body keeps obeying the caller after the breaker is done with it.
 * @returns the function that stops following (the request failed; nothing more to abort).
 */
export function follow(caller: AbortSignal, controller: AbortController): () => void {
  const { refs } = followersOf(caller)
  const signal = controller.signal
  const ref = new WeakRef(signal)
  controllers.set(signal, controller)
  refs.add(ref)
  forget.register(signal, { refs, ref }, ref)
  return () => {
    refs.delete(ref)
    forget.unregister(ref)
  }
}

/** How many signals follow `caller` now (for tests). */
export function followerCount(caller: AbortSignal): number {
  return followers.get(caller)?.refs.size ?? 0
}
