/**
 * Radial bases: edge lengths d [E] (Å) → features [E, K].
 *
 * - gaussianRbf / GaussianRBF (SchNetPack `GaussianRBF`, schnetpack/nn/radial.py @ 4c967da):
 *   φ_k(d) = exp(−½ (d − μ_k)² / δ_k²); defaults μ = linspace(0, r_c, K), δ_k = μ₁ − μ₀.
 * - cgcnnGaussian (CGCNN `GaussianDistance`, cgcnn/data.py @ f42ab23): φ_k(d) = exp(−(d − μ_k)² / σ²),
 *   μ_k = dmin + k·step (k integer, like np.arange(dmin, dmax + step, step)), σ = step by default.
 * - besselRbf (MatGL `RadialBesselFunction`, SO3Net): ρ_n(d) = √(2/r_c) · sin(nπd/r_c) / d, n = 1..nmax; not clamped.
 * - sphericalBesselBasis (MatGL `SphericalBesselFunction`, smooth = False; M3GNet two-body basis, §6.2):
 *   b_{l,n}(d) = √(2/r_c³) · j_l(z_{l,n} d̃ / r_c) / |j_{l+1}(z_{l,n})|, d̃ = min(d, r_c), l < maxL, n < maxN,
 *   l-major (index l·maxN + n); z_{l,n} = (n+1)-th positive root of j_l, so b vanishes from r_c on.
 * Bessel bases are singular at d = 0: edges need d > 0 (no self pairs at zero distance).
 */
import * as tf from '@tensorflow/tfjs';
import { fromValues } from './initializers.js';
import { Module } from './module.js';
import { sphericalBesselJ, sphericalBesselJTensor, sphericalBesselRoots } from './sphericalBessel.js';

/** exp(−½ (d − μ)² / δ²): d [E], centres μ [K], widths δ [K] or one number → [E, K]. */
export function gaussianRbf(d: tf.Tensor1D, centres: tf.Tensor1D, widths: tf.Tensor1D | number): tf.Tensor2D {
  return tf.tidy(() => {
    const diff = tf.sub(tf.expandDims(d, 1), tf.expandDims(centres, 0));
    const coeff =
      typeof widths === 'number' ? -0.5 / (widths * widths) : tf.div(-0.5, tf.square(tf.expandDims(widths, 0)));
    return tf.exp(tf.mul(coeff, tf.square(diff))) as tf.Tensor2D;
  });
}

/** K numbers from start to stop inclusive, float64 (numpy/torch linspace). */
export function linspace(start: number, stop: number, n: number): number[] {
  if (n === 1) return [start];
  return Array.from({ length: n }, (_, k) => start + ((stop - start) * k) / (n - 1));
}

/** SchNetPack GaussianRBF with loadable `offsets` and `widths` (buffers, or weights when `trainable`). */
export class GaussianRBF extends Module {
  static override className = 'GaussianRBF';
  readonly offsets: tf.Variable;
  readonly widths: tf.Variable;

  constructor(
    readonly nRbf: number,
    readonly cutoff: number,
    readonly opts: { start?: number; trainable?: boolean } = {},
  ) {
    super();
    if (nRbf < 2) throw new Error(`GaussianRBF needs n_rbf ≥ 2 (the width is the centre spacing), got ${nRbf}`);
    const mu = linspace(opts.start ?? 0, cutoff, nRbf);
    const delta = new Array<number>(nRbf).fill(Math.abs(mu[1] - mu[0]));
    const reg = (name: string, v: number[]): tf.Variable =>
      opts.trainable ? this.param(name, [nRbf], fromValues(v)) : this.buffer(name, { shape: [nRbf], data: v });
    this.widths = reg('widths', delta);
    this.offsets = reg('offsets', mu);
  }

  apply(d: tf.Tensor1D): tf.Tensor2D {
    return gaussianRbf(d, this.offsets as tf.Tensor1D, this.widths as tf.Tensor1D);
  }

  override getConfig(): Record<string, unknown> {
    return {
      n_rbf: this.nRbf,
      cutoff: this.cutoff,
      start: this.opts.start ?? 0,
      trainable: this.opts.trainable ?? false,
    };
  }
}

/** CGCNN Gaussian expansion → [E, K], K = round((dmax − dmin)/step) + 1 (41 for the defaults 0, 8, 0.2). */
export function cgcnnGaussian(
  d: tf.Tensor1D,
  opts: { dmin?: number; dmax?: number; step?: number; variance?: number } = {},
): tf.Tensor2D {
  const { dmin = 0, dmax = 8, step = 0.2 } = opts;
  const sigma = opts.variance ?? step; // upstream calls σ "var" and divides by its square
  const k = Math.round((dmax - dmin) / step) + 1;
  return tf.tidy(() => {
    const mu = tf.tensor1d(Array.from({ length: k }, (_, i) => dmin + i * step));
    const diff = tf.sub(tf.expandDims(d, 1), tf.expandDims(mu, 0));
    return tf.exp(tf.div(tf.neg(tf.square(diff)), sigma * sigma)) as tf.Tensor2D;
  });
}

/** √(2/r_c) · sin(nπd/r_c) / d, n = 1..nmax → [E, nmax]. */
export function besselRbf(d: tf.Tensor1D, nmax: number, cutoff: number): tf.Tensor2D {
  return tf.tidy(() => {
    const freq = tf.tensor2d(
      Array.from({ length: nmax }, (_, i) => ((i + 1) * Math.PI) / cutoff),
      [1, nmax],
    );
    const d2 = tf.expandDims(d, 1);
    return tf.mul(Math.sqrt(2 / cutoff), tf.div(tf.sin(tf.mul(d2, freq)), d2)) as tf.Tensor2D;
  });
}

/** Roots z_{l,n} and norms √(2/r_c³)/|j_{l+1}(z_{l,n})|, float64, cached per (maxN, maxL). */
const sbfConstants = new Map<string, { roots: number[][]; norms: number[][] }>();
function constants(maxN: number, maxL: number): { roots: number[][]; norms: number[][] } {
  const key = `${maxN},${maxL}`;
  let c = sbfConstants.get(key);
  if (!c) {
    const roots = Array.from({ length: maxL }, (_, l) => sphericalBesselRoots(l, maxN));
    const norms = roots.map((zs, l) => zs.map((z) => 1 / Math.abs(sphericalBesselJ(l + 1, z))));
    c = { roots, norms };
    sbfConstants.set(key, c);
  }
  return c;
}

/** M3GNet two-body spherical Bessel basis → [E, maxL·maxN], l-major (defaults upstream: maxN = maxL = 3). */
export function sphericalBesselBasis(d: tf.Tensor1D, maxN: number, maxL: number, cutoff: number): tf.Tensor2D {
  const { roots, norms } = constants(maxN, maxL);
  const scale = Math.sqrt(2 / cutoff ** 3);
  return tf.tidy(() => {
    const dc = tf.expandDims(tf.minimum(d, cutoff), 1); // clamped: exactly the value at r_c beyond it
    const blocks = roots.map((zs, l) => {
      const x = tf.mul(
        dc,
        tf.tensor2d(
          zs.map((z) => z / cutoff),
          [1, maxN],
        ),
      );
      const jl = sphericalBesselJTensor(x, l)[l];
      return tf.mul(
        jl,
        tf.tensor2d(
          norms[l].map((v) => v * scale),
          [1, maxN],
        ),
      );
    });
    return tf.concat(blocks, 1) as tf.Tensor2D;
  });
}
