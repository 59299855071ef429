/**
 * Message-passing primitives: gather, segment reductions, segment softmax, matMul, column sums, bias addition, batch
 * normalisation, softplus/silu, stopGradient.
 *
 * This is the only home of custom gradients in crystal-gnn (docs/backends.md). Every backend runs the same code,
 * except softplus and sumRows, which take a faster form on wasm and are the plain TF.js op elsewhere, and
 * segmentMax, one fused program on webgpu (fusedSegmentMax.ts):
 * - gather = `gatherND` forward, `scatterND` backward (scatterND sums duplicate rows). The stock `tf.gather`
 *   gradient needs `UnsortedSegmentSum`, which wasm lacks, and wasm's `gatherND` is ~12x faster than `gather`.
 * - segmentSum = `scatterND` forward, `gatherND` backward (wasm: 12 ms vs a missing kernel; cpu: 66 ms vs hours).
 * - matMul = plain matMul forward; backward transposes explicitly and calls plain matMul again, because on wasm
 *   a matMul with `transposeA`/`transposeB` set is 7–10x slower than `tf.transpose` + matMul.
 * - softplus on wasm = max(x, 0) − ln σ(|x|) (its Softplus kernel is scalar); silu with its gradient from σ and y.
 * - sumRows = column sums as one scatterND of all rows into one on wasm, whose Sum over axis 0 transposes first;
 *   addBias takes its bias gradient from it.
 * - batchNormalize = the closed-form gradient of training-mode batch normalisation (half the kernels of autodiff).
 * - sumComponents = Σ over PaiNN's size-3 vector axis; on webgpu the sum of the three slices, because its Sum over a
 *   middle axis runs one workgroup per output (seconds for [N, 3, F]; the slices are ~30x faster).
 * - On webgpu, index values (gather/scatter rows, segment ids) pass through float32 inside
 *   the kernels, exact only below 2^24: `checkIndexRange` refuses larger ranges instead of mis-indexing.
 * Indices are int32 and must lie in [0, rows): the cpu scatter throws on negative ids, so pad with a dummy
 * graph rather than with −1. No op here reads tensor data back (`dataSync`), so training steps stay async-free.
 * Custom gradients are first-order only (`tf.customGrad` is not twice differentiable): no forces-by-autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedSegmentMax } from './fusedSegmentMax.js';

type Saved = tf.Tensor[];
type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];
type Forward = (
  x: tf.Tensor,
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: Saved) => tf.Tensor };

/** A one-input customGrad. Tensors the backward pass needs must go through `save`: the forward scope is disposed. */
function unary(x: tf.Tensor, forward: Forward): tf.Tensor {
  return tf.customGrad(forward as unknown as CustomGradientFunc)(x);
}

/** Largest index range the active backend's index kernels handle exactly (webgpu: float32 inside, 2^24). */
function indexLimit(): number {
  return tf.getBackend() === 'webgpu' ? 2 ** 24 : 2 ** 31;
}

/** Throws when indices in [0, range) would be inexact on the active backend. */
export function checkIndexRange(range: number, what: string): void {
  const limit = indexLimit();
  if (range > limit)
    throw new Error(
      `${what}: ${range} index values exceed the ${tf.getBackend()} backend's exact index range of ${limit}`,
    );
}

/** idx [E] → [E, 1], the index layout of gatherND/scatterND. */
function column(idx: tf.Tensor): tf.Tensor2D {
  if (idx.rank !== 1) throw new Error(`index tensor must be 1-D [E], got shape [${idx.shape.join(', ')}]`);
  return tf.reshape(idx, [-1, 1]);
}

/**
 * Rows of x at idx: y_e = x[idx_e].  x [N, ...] float32, idx [E] int32 in [0, N) → [E, ...] (any trailing shape,
 * e.g. PaiNN's [N, 3, F]). Gradient: dx = Σ_{e: idx_e = n} dy_e (scatterND).
 */
export function gather<T extends tf.Tensor>(x: T, idx: tf.Tensor1D): T {
  const shape = x.shape.slice();
  checkIndexRange(shape[0], 'gather');
  return unary(x, (xIn, save) => {
    const i2 = column(idx);
    save([i2]);
    return { value: tf.gatherND(xIn, i2), gradFunc: (dy, [s]) => tf.scatterND(s, dy, shape) };
  }) as T;
}

/**
 * Segment sum: y_s = Σ_{e: ids_e = s} x_e.  x [E, ...], ids [E] int32 in [0, S) → [S, ...]; empty segments give 0.
 * Gradient: dx_e = dy[ids_e] (gatherND).
 */
export function segmentSum<T extends tf.Tensor>(x: T, segmentIds: tf.Tensor1D, numSegments: number): T {
  const outShape = [numSegments, ...x.shape.slice(1)];
  checkIndexRange(numSegments, 'segmentSum');
  return unary(x, (xIn, save) => {
    const i2 = column(segmentIds);
    save([i2]);
    return { value: tf.scatterND(i2, xIn, outShape), gradFunc: (dy, [s]) => tf.gatherND(dy, s) };
  }) as T;
}

/**
 * Segment mean: y_s = (Σ_{e ∈ s} x_e) / max(n_s, 1), with the counts n_s [S] given by the caller (a graph batch
 * keeps them on the host, e.g. `atomsPerGraph`). Empty segments give 0.
 */
export function segmentMean<T extends tf.Tensor>(
  x: T,
  segmentIds: tf.Tensor1D,
  numSegments: number,
  counts: tf.Tensor1D | ArrayLike<number>,
): T {
  return tf.tidy(() => {
    const n = counts instanceof tf.Tensor ? tf.cast(counts, 'float32') : tf.tensor1d(Array.from(counts), 'float32');
    const div = tf.reshape(tf.maximum(n, 1), [numSegments, ...x.shape.slice(1).map(() => 1)]);
    return tf.div(segmentSum(x, segmentIds, numSegments), div);
  }) as T;
}

/**
 * Per-segment maximum m_s = max_{e ∈ s} x_e of a 1-D x [E] → [S]; −∞ for an empty segment. Forward only: it is
 * built from `topk`, which has no gradient (it is meant for softmax shifts, where the gradient cancels).
 *
 * No backend offers a segment max, so it sorts: rank every x_e by value (topk over all E), sort by the int32 key
 * ids_e·E + rank_e (topk again), after which segment s is a contiguous run, largest first, starting at
 * E − Σ_{t ≤ s} n_t. Cost O(E log E); needs S·E < 2³¹. On webgpu one program scans instead (fusedSegmentMax.ts:
 * the sort is some 55 dispatches there), with no sort key and so no S·E limit.
 */
export function segmentMax(x: tf.Tensor1D, segmentIds: tf.Tensor1D, numSegments: number): tf.Tensor1D {
  const fused = fusedSegmentMax(x, segmentIds, numSegments);
  if (fused) return fused;
  const numEdges = x.shape[0];
  checkIndexRange(numSegments * numEdges, `segmentMax (${numSegments} segments × ${numEdges} entries as one sort key)`);
  return tf.tidy(() => {
    if (numEdges === 0) return tf.fill([numSegments], -Infinity) as tf.Tensor1D;
    const byValue = tf.topk(x, numEdges).indices;
    const rank = tf.scatterND(column(byValue), tf.range(numEdges - 1, -1, -1, 'int32'), [numEdges]);
    const key = tf.add(tf.mul(segmentIds, tf.scalar(numEdges, 'int32')), rank);
    const sorted = tf.gatherND(x, column(tf.topk(key, numEdges).indices)) as tf.Tensor1D;
    const counts = tf.scatterND(column(segmentIds), tf.onesLike(segmentIds), [numSegments]);
    const start = tf.minimum(tf.sub(tf.scalar(numEdges, 'int32'), tf.cumsum(counts)), tf.scalar(numEdges - 1, 'int32'));
    const max = tf.gatherND(sorted, column(start));
    return tf.where(tf.greater(counts, 0), max, tf.fill([numSegments], -Infinity)) as tf.Tensor1D;
  });
}

/**
 * Softmax within segments: α_e = exp(x_e − m_s) / Σ_{e' ∈ s} exp(x_e' − m_s), s = ids_e (Set2Set attention over
 * the atoms of each crystal). x [E] or [E, H] (H independent heads) → same shape.
 * Stable for any score range: m_s is the exact segment max (`segmentMax`), computed inside the forward pass and so
 * outside the gradient path, which is correct because softmax is shift-invariant. Gradient (analytic):
 * dx_e = α_e (dy_e − Σ_{e' ∈ s} α_e' dy_e').
 */
export function segmentSoftmax<T extends tf.Tensor>(scores: T, segmentIds: tf.Tensor1D, numSegments: number): T {
  if (scores.rank !== 1 && scores.rank !== 2)
    throw new Error(`segmentSoftmax: scores must be [E] or [E, H], got [${scores.shape.join(', ')}]`);
  const sumShape = [numSegments, ...scores.shape.slice(1)];
  return unary(scores, (s, save) => {
    const i2 = column(segmentIds);
    const cols = s.rank === 1 ? [s as tf.Tensor1D] : tf.unstack(s, 1).map((c) => c as tf.Tensor1D);
    const maxes = cols.map((c) => segmentMax(c, segmentIds, numSegments));
    const shift = s.rank === 1 ? maxes[0] : tf.stack(maxes, 1);
    const e = tf.exp(tf.sub(s, tf.gatherND(shift, i2)));
    const alpha = tf.div(e, tf.gatherND(tf.scatterND(i2, e, sumShape), i2));
    save([alpha, i2]);
    return {
      value: alpha,
      gradFunc: (dy, [a, idx]) => {
        const weighted = tf.gatherND(tf.scatterND(idx, tf.mul(a, dy), sumShape), idx);
        return tf.mul(a, tf.sub(dy, weighted));
      },
    };
  }) as T;
}

/**
 * y = a·b for 2-D a [M, K], b [K, N] → [M, N]. Backward: da = dy·transpose(b), db = transpose(a)·dy, with
 * explicit transposes (no transposeA/B flags). `gradA: false` declares a as data (an RBF expansion, a
 * fixed input): only db is computed, which skips one [M, K] product per step. A gradient asked of a then fails.
 *
 * When K < N, db is formed as transpose(transpose(dy)·a) instead: wasm (XNNPACK) repacks the right operand of
 * every product, at a cost that grows with its size and dominates for a right operand of M ≫ K rows, so the
 * narrower of a [M, K] and dy [M, N] goes there; the packing is also cached per tensor, so a data input shared
 * by several layers (the RBF expansion of every interaction block) is packed once per step.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D, opts: { gradA?: boolean } = {}): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2)
    throw new Error(`matMul is 2-D only, got [${a.shape.join(', ')}]·[${b.shape.join(', ')}]`);
  const gradB =
    a.shape[1] < b.shape[1]
      ? (dy: tf.Tensor, sa: tf.Tensor): tf.Tensor => tf.transpose(tf.matMul(tf.transpose(dy), sa))
      : (dy: tf.Tensor, sa: tf.Tensor): tf.Tensor => tf.matMul(tf.transpose(sa), dy);
  if (opts.gradA === false) {
    return unary(b, (bIn, save) => {
      save([a]);
      return { value: tf.matMul(a, bIn), gradFunc: (dy, [sa]) => gradB(dy, sa) };
    }) as tf.Tensor2D;
  }
  const f = tf.customGrad(((aIn: tf.Tensor2D, bIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([aIn, bIn]);
    return {
      value: tf.matMul(aIn, bIn),
      gradFunc: (dy: tf.Tensor2D, [sa, sb]: Saved) => [tf.matMul(dy, tf.transpose(sb)), gradB(dy, sa)],
    };
  }) as unknown as CustomGradientFunc);
  return f(a, b) as tf.Tensor2D;
}

/**
 * softplus(x) = ln(1 + eˣ), gradient σ(x). wasm evaluates its Softplus kernel one element at a time with exp and
 * log1p; there the identity softplus(x) = max(x, 0) − ln σ(|x|) is 2.2x faster (σ is vectorised, and σ(|x|) ∈ [½, 1]
 * keeps the log finite). It is accurate in absolute terms only (≤ 1e-7): for x < −10 the relative error grows, and
 * below x ≈ −17 it returns 0 instead of eˣ. Fine for an activation; do not take its log or divide by it. Other
 * backends run tf.softplus.
 */
export function softplus<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== 'wasm') return tf.softplus(x);
  return unary(x, (xIn, save) => {
    save([xIn]);
    return {
      value: tf.sub(tf.relu(xIn), tf.log(tf.sigmoid(tf.abs(xIn)))),
      gradFunc: (dy, [s]) => tf.mul(dy, tf.sigmoid(s)),
    };
  }) as T;
}

/**
 * silu(x) = x·σ(x) (MatGL's swish), gradient σ(x) + y·(1 − σ(x)) from the saved σ and y: four element-wise kernels
 * on the backward pass where the autodiff of x·σ(x) takes six.
 */
export function silu<T extends tf.Tensor>(x: T): T {
  return unary(x, (xIn, save) => {
    const s = tf.sigmoid(xIn);
    const y = tf.mul(xIn, s);
    save([s, y]);
    return { value: y, gradFunc: (dy, [sv, yv]) => tf.mul(dy, tf.add(sv, tf.mul(yv, tf.sub(1, sv)))) };
  }) as T;
}

/**
 * Σ_r x_r of x [M, C] → [C], for backward passes and batch statistics (not differentiable on wasm). wasm transposes
 * before a Sum over axis 0; a scatterND of every row into one row is 3–4x faster there (0.9 vs 3.5 ms for
 * [20000, 64]). Elsewhere tf.sum (cpu accumulates it in float64).
 */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() !== 'wasm') return tf.sum(x, 0);
  return tf.tidy(() => tf.reshape(tf.scatterND(tf.zeros([x.shape[0], 1], 'int32'), x, [1, x.shape[1]]), [-1]));
}

/** `tf.unstack` along `axis`, differentiable for a size-1 axis too (TF.js's Unpack gradient fails there: l_max 0). */
export function unstack(x: tf.Tensor, axis: number): tf.Tensor[] {
  return x.shape[axis] === 1 ? [tf.squeeze(x, [axis])] : tf.unstack(x, axis);
}

/** `tf.split` into `n` equal parts, differentiable for n = 1 too (TF.js's SplitV gradient fails there: l_max 0). */
export function split(x: tf.Tensor, n: number, axis: number): tf.Tensor[] {
  return n === 1 ? [x] : tf.split(x, n, axis);
}

/** Σ_k x[:, k, ...] over the size-3 axis 1 of x [N, 3, ...] (PaiNN's vector features) → [N, ...]; differentiable. */
export function sumComponents(x: tf.Tensor): tf.Tensor {
  if (x.rank < 2 || x.shape[1] !== 3)
    throw new Error(`sumComponents: axis 1 must have size 3, got [${x.shape.join(', ')}]`);
  if (tf.getBackend() !== 'webgpu') return tf.sum(x, 1);
  const [a, b, c] = tf.unstack(x, 1);
  return tf.add(tf.add(a, b), c);
}

/** y + b for y [M, C] and a bias b [C]; db = `sumRows`(dy). */
export function addBias(y: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad(((yIn: tf.Tensor2D, bIn: tf.Tensor1D) => ({
    value: tf.add(yIn, bIn),
    gradFunc: (dy: tf.Tensor2D) => [dy, sumRows(dy)],
  })) as unknown as CustomGradientFunc);
  return f(y, b) as tf.Tensor2D;
}

/** Batch statistics of a training-mode `batchNormalize`, for running averages. */
export interface BatchStatistics {
  /** [C] (weighted) batch mean. */
  mean: tf.Tensor1D;
  /** [C] (weighted) biased batch variance. */
  variance: tf.Tensor1D;
  /** Total row weight W (the row count when unweighted). */
  total: tf.Scalar;
}

/**
 * Training-mode batch normalisation y = γ ⊙ (x − μ)/√(σ² + ε) + β of x [M, C] with the batch mean μ and biased
 * variance σ² per column; row weights w [M] (≥ 0, optional) count row r as w_r rows (W = Σ w_r). `onStatistics`
 * receives μ, σ² and W inside the forward pass (to update running averages; they are disposed afterwards).
 *
 * One custom gradient instead of the autodiff of the composed ops, written so that every [M, C] operation that can
 * be moved onto a [C] vector is: with c = x − μ, s = 1/√(σ² + ε) and a = γ ⊙ s, the forward is y = c ⊙ a + β and
 *   dβ = Σ_r dy_r,  dγ = s ⊙ Σ_r dy_r ⊙ c_r,  dx_r = a ⊙ dy_r − (w_r/W)(c_r ⊙ (a ⊙ s ⊙ dγ) + a ⊙ dβ)
 * (4 elementwise [M, C] kernels forward, 5 backward without row weights; x̂ = c ⊙ s is never formed).
 */
export function batchNormalize(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  rowWeights?: tf.Tensor1D,
  onStatistics?: (s: BatchStatistics) => void,
): tf.Tensor2D {
  const f = tf.customGrad(((xIn: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const w = rowWeights ? tf.reshape(rowWeights, [-1, 1]) : null;
    const total = (w ? tf.sum(w) : tf.scalar(xIn.shape[0])) as tf.Scalar;
    const mean = tf.div(sumRows(w ? (tf.mul(xIn, w) as tf.Tensor2D) : xIn), total) as tf.Tensor1D;
    const centred = tf.sub(xIn, mean) as tf.Tensor2D;
    const squares = tf.square(centred) as tf.Tensor2D;
    const variance = tf.div(sumRows(w ? (tf.mul(squares, w) as tf.Tensor2D) : squares), total) as tf.Tensor1D;
    onStatistics?.({ mean, variance, total });
    const inv = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor1D;
    const a = tf.mul(g, inv) as tf.Tensor1D;
    // a row's share of the batch: w_r/W as a column, or the scalar 1/M folded into the [C] coefficients below
    const share = w ? tf.div(w, total) : tf.div(1, total);
    save([centred, inv, a, share]);
    return {
      value: tf.add(tf.mul(centred, a), b),
      gradFunc: (dy: tf.Tensor2D, [c, s, aSaved, rowShare]: Saved) => {
        const dBeta = sumRows(dy);
        const dGamma = tf.mul(sumRows(tf.mul(dy, c) as tf.Tensor2D), s);
        const k1 = tf.mul(aSaved, tf.mul(s, dGamma));
        const k2 = tf.mul(aSaved, dBeta);
        const scaled = tf.mul(dy, aSaved);
        const dx = rowWeights
          ? tf.sub(scaled, tf.mul(tf.add(tf.mul(c, k1), k2), rowShare))
          : tf.sub(scaled, tf.add(tf.mul(c, tf.mul(k1, rowShare)), tf.mul(k2, rowShare)));
        return [dx, dGamma, dBeta];
      },
    };
  }) as unknown as CustomGradientFunc);
  return f(x, gamma, beta) as tf.Tensor2D;
}

const COMPARE = { lt: tf.less, le: tf.lessEqual, gt: tf.greater, ge: tf.greaterEqual } as const;

/**
 * Indicator [x cmp value] as float32 1/0, with a zero gradient. Masks such as [d < r_c] must be built this way:
 * TF.js registers no gradient for Less/LessEqual/Greater, so a comparison on the gradient path throws.
 */
export function indicator<T extends tf.Tensor>(x: T, cmp: keyof typeof COMPARE, value: number | tf.Tensor): T {
  return unary(x, (xIn) => ({
    value: tf.cast(COMPARE[cmp](xIn, value), 'float32'),
    gradFunc: (dy) => tf.zerosLike(dy),
  })) as T;
}

/** Identity forward, zero gradient (torch `detach`): y = x, dy/dx = 0. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return unary(x, (xIn) => ({ value: tf.clone(xIn), gradFunc: (dy) => tf.zerosLike(dy) })) as T;
}
