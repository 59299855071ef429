/**
 * A simple GPU time model for TF.js training driven through `@tensorflow/tfjs-node-gpu`, fed with kernel lists
 * recorded by `tf.profile` on a CPU backend (bench/gpuCost.ts).
 *
 * Every tfjs kernel becomes one TensorFlow eager op. The host enqueues ops asynchronously, so each op costs the
 * larger of its dispatch overhead and its memory traffic on the device:
 *   t = Σ_k max(t_launch, bytes_k / BW)  +  upload_bytes / BW_h2d
 * with bytes_k = (elements of k's outputs) × 4 bytes (float32 and int32). Compute-bound kernels (large matMuls) and
 * input reads are not modelled: OBELiX batches are small enough that almost every kernel sits on t_launch.
 */

/** Seconds and bytes per second of the model's three constants. */
export interface CostParams {
  /** Per-op dispatch overhead, s (TF eager through tfjs-node: 10–50 µs). */
  launch: number;
  /** Effective device memory bandwidth, B/s (H100 HBM3: ~3.3 TB/s peak, ~1.5 TB/s effective). */
  bandwidth: number;
  /** Host → device copy rate for batch tensors, B/s (PCIe, pageable memory: ~10 GB/s). */
  upload: number;
}

export const LAUNCH_SECONDS = { low: 10e-6, mid: 20e-6, high: 50e-6 } as const;
export const H100_BANDWIDTH = 1.5e12;
export const UPLOAD_BANDWIDTH = 10e9;

export function costParams(launch: number): CostParams {
  return { launch, bandwidth: H100_BANDWIDTH, upload: UPLOAD_BANDWIDTH };
}

/** One recorded kernel: its name and output shapes (a kernel may have several outputs). */
export interface KernelRecord {
  name: string;
  outputShapes: number[][];
}

/** Sizes of a (micro-)batch that kernel outputs scale with: B crystals, N atoms, E edges, P pairs, T triplets. */
export interface BatchSizes {
  graphs: number;
  atoms: number;
  edges: number;
  pairs: number;
  triplets: number;
}

/** Σ over outputs of (product of the shape) × 4 bytes; a scalar output (shape []) is 4 bytes. */
export function kernelBytes(k: KernelRecord): number {
  let total = 0;
  for (const shape of k.outputShapes) total += 4 * shape.reduce((a, d) => a * d, 1);
  return total;
}

const SCALED_DIMS: ReadonlyArray<keyof BatchSizes> = ['triplets', 'edges', 'pairs', 'atoms', 'graphs'];

/** Padded layouts (CGCNN's [N·(M+1), F] neighbor slots) lead with a small multiple of a size. */
const MAX_MULTIPLE = 64;
const MIN_SIZE_FOR_MULTIPLES = 100;

/**
 * Factor by which a kernel's outputs grow when the batch goes from `from` to `to` sizes: the ratio of the size its
 * leading output dimension equals (checked triplets, edges, pairs, atoms, crystals, in that order; sizes ≤ 1 are
 * never matched), else of the size it is a multiple c ∈ [2, 64] of (only sizes ≥ 100, so weight rows are not
 * mistaken for one), else 1 (weights, per-feature statistics, scalars).
 */
export function scaleFactor(k: KernelRecord, from: BatchSizes, to: BatchSizes): number {
  const lead = k.outputShapes[0]?.[0];
  if (lead === undefined) return 1;
  for (const dim of SCALED_DIMS) {
    if (from[dim] > 1 && lead === from[dim]) return to[dim] / from[dim];
  }
  for (const dim of SCALED_DIMS) {
    const n = from[dim];
    if (n >= MIN_SIZE_FOR_MULTIPLES && lead % n === 0 && lead / n >= 2 && lead / n <= MAX_MULTIPLE) return to[dim] / n;
  }
  return 1;
}

/** Device seconds of kernels with these output byte counts: Σ_k max(t_launch, bytes_k / BW). */
export function kernelSeconds(bytes: Iterable<number>, p: CostParams): number {
  let t = 0;
  for (const b of bytes) t += Math.max(p.launch, b / p.bandwidth);
  return t;
}

/** Output bytes of a recorded kernel list moved to another batch size (see `scaleFactor`). */
export function scaledBytes(kernels: readonly KernelRecord[], from: BatchSizes, to: BatchSizes): number[] {
  return kernels.map((k) => kernelBytes(k) * scaleFactor(k, from, to));
}

/**
 * Epochs one model trains in the full protocol: `trials` × `folds` cross-validation trainings of `cvEpochs` epochs
 * each, then one retraining of `retrainEpochs` epochs on the whole training set.
 */
export interface ProtocolShape {
  trials: number;
  folds: number;
  cvEpochs: number;
  retrainEpochs: number;
}

/** Device seconds of the protocol from per-epoch costs (a CV epoch includes its validation pass). */
export function protocolSeconds(
  s: ProtocolShape,
  cvEpochSeconds: number,
  retrainEpochSeconds: number,
  testSeconds: number,
): number {
  return s.trials * s.folds * s.cvEpochs * cvEpochSeconds + s.retrainEpochs * retrainEpochSeconds + testSeconds;
}
