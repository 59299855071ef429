/**
 * Smooth cutoff functions f(d) of the edge length d [E] (Å) → [E], 1 at d = 0 and 0 from r_c on.
 *
 * cosineCutoff (SchNetPack `CosineCutoff`, schnetpack/nn/cutoff.py @ 4c967da):
 *   f(d) = ½(cos(πd/r_c) + 1) for d < r_c, else 0 (strict, as upstream).
 * polynomialEnvelope (MatGL `polynomial_cutoff`, DimeNet envelope, matgl/utils/cutoff.py @ e9cde22), x = d/r_c:
 *   f(d) = 1 − ½(p+1)(p+2)·xᵖ + p(p+2)·xᵖ⁺¹ − ½p(p+1)·xᵖ⁺² for d ≤ r_c, else 0;
 *   p = 3 gives 1 − 10x³ + 15x⁴ − 6x⁵ (value, first and second derivative vanish at r_c).
 * Beyond r_c both return 0 with a zero (finite) gradient. `CosineCutoff` keeps r_c as the buffer `cutoff` [1], the
 * key SchNetPack state dicts carry (`representation.cutoff_fn.cutoff`).
 */
import * as tf from '@tensorflow/tfjs';
import { Module } from './module.js';
import { indicator } from './ops.js';

/** r_c as a number, or a [1] tensor (a loaded buffer). */
export function cosineCutoff(d: tf.Tensor1D, cutoff: number | tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const f = tf.mul(tf.add(tf.cos(tf.div(tf.mul(d, Math.PI), cutoff)), 1), 0.5);
    return tf.mul(f, indicator(d, 'lt', cutoff)) as tf.Tensor1D;
  });
}

export class CosineCutoff extends Module {
  static override className = 'CosineCutoff';
  readonly cutoffBuffer: tf.Variable;

  constructor(readonly cutoff: number) {
    super();
    this.cutoffBuffer = this.buffer('cutoff', { shape: [1], data: [cutoff] });
  }

  /** Uses the buffer, so a loaded r_c takes effect as in PyTorch. */
  apply(d: tf.Tensor1D): tf.Tensor1D {
    return cosineCutoff(d, this.cutoffBuffer);
  }

  override getConfig(): Record<string, unknown> {
    return { cutoff: this.cutoff };
  }
}

/**
 * q with f(x) = (1 − x)³·q(x), ascending coefficients. f has a triple root at x = 1, and the factored form avoids
 * the float32 cancellation of the expanded one near r_c (2e-6 absolute at p = 5, x = 0.998).
 */
function envelopeQuotient(p: number): number[] {
  let c = new Array<number>(p + 3).fill(0);
  c[0] = 1;
  c[p] = -0.5 * (p + 1) * (p + 2);
  c[p + 1] = p * (p + 2);
  c[p + 2] = -0.5 * p * (p + 1);
  for (let k = 0; k < 3; k++) {
    // P = (1 − x)·Q  ⇔  q_i = c_i + q_{i−1}; the last partial sum is the (zero) remainder
    const q: number[] = [];
    let acc = 0;
    for (const v of c) {
      acc += v;
      q.push(acc);
    }
    c = q.slice(0, -1);
  }
  return c;
}

export function polynomialEnvelope(d: tf.Tensor1D, cutoff: number, p = 3): tf.Tensor1D {
  if (!Number.isInteger(p) || p < 1)
    throw new Error(`polynomialEnvelope: exponent p must be a positive integer, got ${p}`);
  const q = envelopeQuotient(p);
  return tf.tidy(() => {
    // Clamp first so the masked-out branch stays finite and its gradient is exactly zero.
    const x = tf.div(tf.minimum(d, cutoff), cutoff);
    let horner: tf.Tensor = tf.fill(x.shape, q[q.length - 1]);
    for (let i = q.length - 2; i >= 0; i--) horner = tf.add(tf.mul(horner, x), q[i]);
    const oneMinus = tf.sub(1, x);
    const f = tf.mul(tf.mul(tf.square(oneMinus), oneMinus), horner);
    return tf.mul(f, indicator(d, 'le', cutoff)) as tf.Tensor1D;
  });
}
