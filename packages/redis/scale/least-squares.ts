// Ordinary least squares for the fleet model: a handful of coefficients, a few dozen points.

/** Coefficients c minimising Σ (Σ_j c_j·x_ij − y_i)², by the normal equations. */
export function leastSquares(xs: readonly (readonly number[])[], ys: readonly number[]): number[] {
  const k = xs[0]?.length ?? 0
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0))
  xs.forEach((x, i) => {
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) a[r]![c]! += x[r]! * x[c]!
      a[r]![k]! += x[r]! * ys[i]!
    }
  })
  return solve(a)
}

/** Gauss-Jordan elimination with partial pivoting on an augmented k × (k+1) matrix. */
function solve(a: number[][]): number[] {
  const k = a.length
  for (let col = 0; col < k; col++) {
    let pivot = col
    for (let r = col + 1; r < k; r++)
      if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r
    ;[a[col], a[pivot]] = [a[pivot]!, a[col]!]
    const p = a[col]![col]!
    if (p === 0) throw new Error('the points do not determine the coefficients (singular system)')
    for (let c = col; c <= k; c++) a[col]![c]! /= p
    for (let r = 0; r < k; r++) {
      if (r === col) continue
      const f = a[r]![col]!
      for (let c = col; c <= k; c++) a[r]![c]! -= f * a[col]![c]!
    }
  }
  return a.map((row) => row[k]!)
}

/** Root mean square and largest relative error of `predicted` against `actual`. */
export function relativeErrors(
  predicted: readonly number[],
  actual: readonly number[],
): { rms: number; max: number } {
  const rel = actual.map((y, i) => (predicted[i]! - y) / y)
  const rms = Math.sqrt(rel.reduce((s, e) => s + e * e, 0) / Math.max(1, rel.length))
  return { rms, max: Math.max(0, ...rel.map(Math.abs)) }
}
