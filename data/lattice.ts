/**
 * Lattice maths in float64. A lattice is a `Matrix3` whose rows are the cell vectors a, b, c in
 * Cartesian Å (pymatgen's `Lattice.matrix`); coordinates are row vectors, so cart = frac · L.
 */
import { InputError } from './errors.js';
import type { Matrix3, Vec3 } from './structure.js';

const DEG = Math.PI / 180;

/**
 * Cell vectors from lengths a, b, c (Å) and angles α, β, γ (degrees), in pymatgen's
 * `Lattice.from_parameters` orientation: c along z, a in the xz plane,
 *   a = (a sinβ, 0, a cosβ), b = (−b sinα cosγ*, b sinα sinγ*, b cosα), c = (0, 0, c),
 * with cosγ* = (cosα cosβ − cosγ) / (sinα sinβ) clamped to [−1, 1].
 */
export function latticeFromParameters(
  a: number,
  b: number,
  c: number,
  alpha: number,
  beta: number,
  gamma: number,
): Matrix3 {
  const ca = Math.cos(alpha * DEG);
  const cb = Math.cos(beta * DEG);
  const cg = Math.cos(gamma * DEG);
  const sa = Math.sin(alpha * DEG);
  const sb = Math.sin(beta * DEG);
  const cosGammaStar = Math.max(-1, Math.min(1, (ca * cb - cg) / (sa * sb)));
  const gammaStar = Math.acos(cosGammaStar);
  return [
    [a * sb, 0, a * cb],
    [-b * sa * Math.cos(gammaStar), b * sa * Math.sin(gammaStar), b * ca],
    [0, 0, c],
  ];
}

/** Signed determinant a · (b × c), Å³. */
export function determinant(m: Matrix3): number {
  const [a, b, c] = m;
  return a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]);
}

/** Cell volume |det L| in Å³. */
export function volume(l: Matrix3): number {
  return Math.abs(determinant(l));
}

/** Inverse of a 3×3 matrix (adjugate / determinant); throws `InputError` when it is singular. */
export function invert3(m: Matrix3): Matrix3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = determinant(m);
  const scale = Math.max(...m.flat().map(Math.abs));
  if (!(Math.abs(det) > 1e-12 * scale * scale * scale)) {
    throw new InputError(`singular lattice matrix ${JSON.stringify(m)}`);
  }
  const r = 1 / det;
  return [
    [(e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r],
    [(f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r],
    [(d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r],
  ];
}

/** Row vectors times a matrix: out[n] = v[n] · m, for v of shape [N*3]. */
function rowsTimes(v: Float64Array, m: Matrix3): Float64Array {
  if (v.length % 3 !== 0) throw new RangeError(`coordinate array length ${v.length} is not a multiple of 3`);
  const out = new Float64Array(v.length);
  const [r0, r1, r2] = m;
  for (let k = 0; k < v.length; k += 3) {
    const x = v[k];
    const y = v[k + 1];
    const z = v[k + 2];
    out[k] = x * r0[0] + y * r1[0] + z * r2[0];
    out[k + 1] = x * r0[1] + y * r1[1] + z * r2[1];
    out[k + 2] = x * r0[2] + y * r1[2] + z * r2[2];
  }
  return out;
}

/** Fractional [N*3] → Cartesian [N*3] Å: cart = frac · L. */
export function fracToCart(lattice: Matrix3, frac: Float64Array): Float64Array {
  return rowsTimes(frac, lattice);
}

/** Cartesian [N*3] Å → fractional [N*3]: frac = cart · L⁻¹. */
export function cartToFrac(lattice: Matrix3, cart: Float64Array): Float64Array {
  return rowsTimes(cart, invert3(lattice));
}

/** Lengths |a|, |b|, |c| of the cell vectors, Å. */
export function lengths(l: Matrix3): Vec3 {
  return [Math.hypot(...l[0]), Math.hypot(...l[1]), Math.hypot(...l[2])];
}
