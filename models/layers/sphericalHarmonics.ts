/**
 * Real spherical harmonics Y_lm of unit vectors u = (x, y, z), orthonormal on the sphere, without the
 * Condon–Shortley sign, channel order s = l² + l + m: (0,0), (1,−1), (1,0), (1,1), (2,−2), …
 * (SchNetPack `RealSphericalHarmonics` / MatGL SO3Net, docs/architectures.md §5.1):
 *
 *   C_m + i·S_m = (x + i·y)^m,   Q_l^m(z): Q_m^m = (2m−1)!!,  Q_{m+1}^m = (2m+1)·z·Q_m^m,
 *                                Q_l^m = ((2l−1)·z·Q_{l−1}^m − (l+m−1)·Q_{l−2}^m) / (l−m)      (|u| = 1)
 *   Y_l0 = √((2l+1)/4π)·Q_l^0,   Y_l,±m = √2·√((2l+1)/4π · (l−m)!/(l+m)!)·Q_l^m·{C_m, S_m}
 *
 * so Y_1 = √(3/4π)·(y, z, x) and Y_20 = √(5/16π)·(3z² − 1). u [E, 3] (unit) → [E, (l_max+1)²].
 */
import * as tf from '@tensorflow/tfjs';

/** Number of channels (l_max + 1)². */
export const numChannels = (lmax: number): number => (lmax + 1) ** 2;

/** Degree l of channel s. */
export const degreeOf = (s: number): number => Math.floor(Math.sqrt(s));

function factorialRatio(l: number, m: number): number {
  let r = 1; // (l − m)! / (l + m)!
  for (let k = l - m + 1; k <= l + m; k++) r /= k;
  return r;
}

/** Normalisation of Y_l,±m (the √2 included for m > 0). */
function norm(l: number, m: number): number {
  const base = Math.sqrt(((2 * l + 1) / (4 * Math.PI)) * factorialRatio(l, m));
  return m === 0 ? base : Math.SQRT2 * base;
}

/** The recurrence on any number-like algebra, so the host and tensor versions cannot drift apart. */
interface Algebra<T> {
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  scale(a: T, k: number): T;
  one: T;
}

function harmonics<T>(x: T, y: T, z: T, lmax: number, alg: Algebra<T>): T[] {
  const c: T[] = [alg.one];
  const s: T[] = [alg.scale(alg.one, 0)];
  for (let m = 1; m <= lmax; m++) {
    c.push(alg.add(alg.mul(x, c[m - 1]), alg.scale(alg.mul(y, s[m - 1]), -1)));
    s.push(alg.add(alg.mul(x, s[m - 1]), alg.mul(y, c[m - 1])));
  }
  const out: T[] = new Array<T>(numChannels(lmax));
  for (let m = 0; m <= lmax; m++) {
    let doubleFactorial = 1;
    for (let k = 2 * m - 1; k > 1; k -= 2) doubleFactorial *= k;
    let prev: T | null = null;
    let q = alg.scale(alg.one, doubleFactorial);
    for (let l = m; l <= lmax; l++) {
      if (l > m) {
        const next: T =
          prev === null
            ? alg.scale(alg.mul(z, q), 2 * m + 1)
            : alg.scale(alg.add(alg.scale(alg.mul(z, q), 2 * l - 1), alg.scale(prev, -(l + m - 1))), 1 / (l - m));
        prev = q;
        q = next;
      }
      const k = norm(l, m);
      out[l * l + l + m] = alg.scale(alg.mul(q, c[m]), k);
      if (m > 0) out[l * l + l - m] = alg.scale(alg.mul(q, s[m]), k);
    }
  }
  return out;
}

const numbers: Algebra<number> = { add: (a, b) => a + b, mul: (a, b) => a * b, scale: (a, k) => a * k, one: 1 };

/** Host float64 Y(u) for one unit vector → [(l_max+1)²]. */
export function sphericalHarmonicsAt(u: readonly [number, number, number], lmax: number): number[] {
  return harmonics(u[0], u[1], u[2], lmax, numbers);
}

/** Y of unit vectors u [E, 3] → [E, (l_max+1)²] float32. */
export function sphericalHarmonics(u: tf.Tensor2D, lmax: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [x, y, z] = tf.unstack(u, 1);
    const alg: Algebra<tf.Tensor> = {
      add: (a, b) => tf.add(a, b),
      mul: (a, b) => tf.mul(a, b),
      scale: (a, k) => tf.mul(a, k),
      one: tf.onesLike(x),
    };
    return tf.stack(harmonics<tf.Tensor>(x, y, z, lmax, alg), 1) as tf.Tensor2D;
  });
}

/** Polynomials in z as coefficient arrays (index = power): the recurrence run symbolically. */
const polynomials: Algebra<number[]> = {
  add: (a, b) => Array.from({ length: Math.max(a.length, b.length) }, (_, k) => (a[k] ?? 0) + (b[k] ?? 0)),
  mul: (a, b) => {
    const out = new Array<number>(a.length + b.length - 1).fill(0);
    a.forEach((ai, i) =>
      b.forEach((bj, j) => {
        out[i + j] += ai * bj;
      }),
    );
    return out;
  },
  scale: (a, k) => a.map((v) => v * k),
  one: [1],
};

/**
 * The zonal harmonics Y_l0 (l ≤ l_max) as polynomials in z = cos θ: entry [k][l] is the coefficient of z^k in Y_l0,
 * derived from the same recurrence as `sphericalHarmonics` (x = y = 0 drops every m ≠ 0 term).
 */
export function zonalCoefficients(lmax: number): number[][] {
  const all = harmonics<number[]>([0], [0], [0, 1], lmax, polynomials);
  return Array.from({ length: lmax + 1 }, (_, k) => Array.from({ length: lmax + 1 }, (_, l) => all[l * l + l][k] ?? 0));
}

/**
 * Y_l0(cos θ) for l ≤ l_max → [T, l_max + 1]: the channels of `sphericalHarmonics` at (0, 0, cos θ) that are not
 * zero there, evaluated from `zonalCoefficients` by Horner's rule, Y = C₀ + z(C₁ + z(C₂ + …)): 2·l_max
 * element-wise kernels on [T, l_max + 1] (tf.pow with a broadcast exponent is ~10x slower on wasm, and the general
 * form stacks and unstacks T-sized columns).
 */
export function zonalHarmonics(cos: tf.Tensor1D, lmax: number): tf.Tensor2D {
  return tf.tidy(() => {
    const coefficients = zonalCoefficients(lmax).map((row) => tf.tensor2d([row]));
    const z = tf.expandDims(cos, 1);
    let y: tf.Tensor = coefficients[lmax];
    for (let k = lmax - 1; k >= 0; k--) y = tf.add(tf.mul(y, z), coefficients[k]);
    return (lmax === 0 ? tf.tile(y, [cos.shape[0], 1]) : y) as tf.Tensor2D;
  });
}
