/**
 * Gradient checks by directional finite differences (docs/testing.md). TF.js has no float64, so instead of
 * element-wise gradcheck we compare, for a few random unit directions v over all inputs together,
 *   numeric  = (f(θ + h·v) − f(θ − h·v)) / 2h      with h = eps · max(1, ‖θ‖₂)
 *   analytic = ⟨∇f(θ), v⟩                           from tf.grads / tf.variableGrads
 * and accept |numeric − analytic| ≤ rtol·max(|numeric|, |analytic|) + atol + atolGrad·‖∇f‖₂.
 * The last term keeps directions along which f is nearly flat from failing on float32 noise.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

export interface GradcheckOptions {
  /** Relative step (default 1e-3). */
  eps?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Tolerance relative to the gradient norm (default 1e-4). */
  atolGrad?: number;
  /** Number of random directions (default 3). */
  directions?: number;
  seed?: string | number;
}

export interface DirectionCheck {
  numeric: number;
  analytic: number;
  error: number;
  tolerance: number;
}

export interface GradcheckResult {
  ok: boolean;
  checks: DirectionCheck[];
  /** One line per direction, for assertion messages. */
  message: string;
}

function randomDirection(sizes: number[], rng: () => number): Float64Array[] {
  const parts = sizes.map((n) => {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    return v;
  });
  const norm = Math.sqrt(parts.reduce((a, v) => a + v.reduce((b, x) => b + x * x, 0), 0)) || 1;
  for (const v of parts) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return parts;
}

interface Plan {
  /** The perturbed points θ ± h·v_k, in the order +v_0, −v_0, +v_1, … */
  points: Float32Array[][];
  score: (values: number[]) => GradcheckResult;
}

/** The generic check, in two halves: the points to evaluate, then the verdict from their values. */
function plan(theta: Float32Array[], grad: Float32Array[], opts: GradcheckOptions): Plan {
  const { eps = 1e-3, rtol = 1e-2, atol = 1e-6, atolGrad = 1e-4, directions = 3, seed = 'gradcheck' } = opts;
  const rng = seedrandom(String(seed));
  const thetaNorm = Math.sqrt(theta.reduce((a, t) => a + t.reduce((b, x) => b + x * x, 0), 0));
  const gradNorm = Math.sqrt(grad.reduce((a, g) => a + g.reduce((b, x) => b + x * x, 0), 0));
  const h = eps * Math.max(1, thetaNorm);
  const dirs = Array.from({ length: directions }, () =>
    randomDirection(
      theta.map((t) => t.length),
      rng,
    ),
  );
  const shifted = (v: Float64Array[], sign: number) => theta.map((t, j) => t.map((x, i) => x + sign * h * v[j][i]));
  const points = dirs.flatMap((v) => [shifted(v, 1), shifted(v, -1)]);
  const score = (values: number[]): GradcheckResult => {
    const checks: DirectionCheck[] = dirs.map((v, k) => {
      const numeric = (values[2 * k] - values[2 * k + 1]) / (2 * h);
      const analytic = grad.reduce((a, g, j) => a + g.reduce((b, x, i) => b + x * v[j][i], 0), 0);
      const error = Math.abs(numeric - analytic);
      const tolerance = rtol * Math.max(Math.abs(numeric), Math.abs(analytic)) + atol + atolGrad * gradNorm;
      return { numeric, analytic, error, tolerance };
    });
    const ok = checks.every((c) => Number.isFinite(c.analytic) && c.error <= c.tolerance);
    const message = checks
      .map(
        (c, k) =>
          `direction ${k}: numeric ${c.numeric.toExponential(6)}, analytic ${c.analytic.toExponential(6)}, error ${c.error.toExponential(2)} (tolerance ${c.tolerance.toExponential(2)})`,
      )
      .join('\n');
    return { ok, checks, message };
  };
  return { points, score };
}

/**
 * Checks ∇f w.r.t. the tensor inputs xs (f must return a scalar: rank 0, or any one-element tensor). Reads are
 * asynchronous, so it runs on any backend (webgpu has no synchronous read in Node): f's gradient and all perturbed
 * values are computed on the device, then read back in one transfer.
 */
export async function gradcheck(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const theta = (await Promise.all(xs.map((x) => x.data()))).map((d) => Float32Array.from(d));
  const grads = tf.tidy(() => tf.grads(f as (...a: tf.Tensor[]) => tf.Scalar)(xs));
  const grad = (await Promise.all(grads.map((g) => g.data()))).map((d) => Float32Array.from(d));
  tf.dispose(grads);
  const p = plan(theta, grad, opts);
  const values = tf.tidy(() =>
    tf.stack(p.points.map((point) => tf.reshape(f(...point.map((q, j) => tf.tensor(q, xs[j].shape, 'float32'))), []))),
  );
  const read = Array.from(await values.data());
  values.dispose();
  return p.score(read);
}

/** Checks ∇loss w.r.t. variables (module weights), restoring their values afterwards. Reads are asynchronous. */
export async function gradcheckVariables(
  loss: () => tf.Tensor,
  vars: tf.Variable[],
  opts: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const theta = (await Promise.all(vars.map((v) => v.data()))).map((d) => Float32Array.from(d));
  const grads = tf.tidy(() => {
    const { grads: byName } = tf.variableGrads(loss as () => tf.Scalar, vars);
    return vars.map((v) => byName[v.name]);
  });
  const grad = (await Promise.all(grads.map((g) => g.data()))).map((d) => Float32Array.from(d));
  tf.dispose(grads);
  const assign = (point: Float32Array[]) =>
    vars.forEach((v, j) => tf.tidy(() => v.assign(tf.tensor(point[j], v.shape, 'float32'))));
  const p = plan(theta, grad, opts);
  try {
    const values: number[] = [];
    for (const point of p.points) {
      assign(point);
      const value = tf.tidy(() => tf.reshape(loss(), []));
      values.push((await value.data())[0]);
      value.dispose();
    }
    return p.score(values);
  } finally {
    assign(theta);
  }
}

/** Throws with the per-direction report unless the check passes. */
export function expectGradcheck(result: GradcheckResult, label = ''): void {
  if (!result.ok) throw new Error(`gradient check failed ${label}\n${result.message}`);
}
