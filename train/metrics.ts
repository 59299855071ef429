/** Regression metrics on host arrays, in the target's physical units. */
export interface Metrics {
  mae: number;
  rmse: number;
  r2: number;
  n: number;
}

export function regressionMetrics(pred: ArrayLike<number>, target: ArrayLike<number>): Metrics {
  const n = target.length;
  let abs = 0;
  let sq = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += target[i];
  mean /= n;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    abs += Math.abs(d);
    sq += d * d;
    ssTot += (target[i] - mean) ** 2;
  }
  return { mae: abs / n, rmse: Math.sqrt(sq / n), r2: ssTot > 0 ? 1 - sq / ssTot : NaN, n };
}
