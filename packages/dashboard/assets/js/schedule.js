// @ts-check
// One render per animation frame, however many updates arrive. The renderer is registered by
// the entry module, so that the modules that change the model need not import the views.

let renderQueued = false
/** @type {() => void} */
let renderer = () => {}

/** @param {() => void} render called at most once per frame after scheduleRender */
export function setRenderer(render) {
  renderer = render
}

export function scheduleRender() {
  if (renderQueued) return
  renderQueued = true
  requestAnimationFrame(() => {
    renderQueued = false
    renderer()
  })
}
