/**
 * Spherical Bessel functions of the first kind j_l and their positive roots z_{l,n}, in float64 on the host
 * (for basis constants) and as TF.js ops (for the basis itself).
 *
 * j₀(x) = sin x / x,  j₁(x) = sin x / x² − cos x / x,  j_{l+1}(x) = (2l+1)/x · j_l(x) − j_{l−1}(x).
 * The upward recurrence is exact algebra (it expands to the closed forms upstream evaluates) and accurate for
 * x ≳ l; for x → 0 it loses digits to cancellation, as the upstream float32 closed forms do.
 * Roots: j₀ vanishes at kπ; the roots of j_l interlace those of j_{l−1}, so each is bracketed and bisected.
 */
import * as tf from '@tensorflow/tfjs';

/** j_l(x) for x > 0, float64. */
export function sphericalBesselJ(l: number, x: number): number {
  const j0 = Math.sin(x) / x;
  if (l === 0) return j0;
  let prev = j0;
  let cur = Math.sin(x) / (x * x) - Math.cos(x) / x;
  for (let k = 1; k < l; k++) [prev, cur] = [cur, ((2 * k + 1) / x) * cur - prev];
  return cur;
}

/** The first `count` positive roots of j_l, ascending, to ~1e-14 relative. */
export function sphericalBesselRoots(l: number, count: number): number[] {
  let roots = Array.from({ length: count + l }, (_, k) => (k + 1) * Math.PI);
  for (let m = 1; m <= l; m++) {
    const next: number[] = [];
    for (let k = 0; k + 1 < roots.length; k++) next.push(bisect((x) => sphericalBesselJ(m, x), roots[k], roots[k + 1]));
    roots = next;
  }
  return roots.slice(0, count);
}

function bisect(f: (x: number) => number, lo: number, hi: number): number {
  let flo = f(lo);
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    const fm = f(mid);
    if (fm === 0) return mid;
    if (fm * flo < 0) hi = mid;
    else [lo, flo] = [mid, fm];
  }
  return 0.5 * (lo + hi);
}

/** [j₀(x), …, j_lmax(x)] elementwise on a float32 tensor x (x > 0). */
export function sphericalBesselJTensor(x: tf.Tensor, lmax: number): tf.Tensor[] {
  const s = tf.sin(x);
  const out: tf.Tensor[] = [tf.div(s, x)];
  if (lmax >= 1) out.push(tf.sub(tf.div(s, tf.square(x)), tf.div(tf.cos(x), x)));
  for (let k = 1; k < lmax; k++) out.push(tf.sub(tf.mul(tf.div(2 * k + 1, x), out[k]), out[k - 1]));
  return out;
}
