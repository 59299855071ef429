/**
 * The one edge-flow primitive of crystal-gnn (the idea of PyTorch Geometric's `flow`): every message-passing layer
 * reads sender features per edge and sums edge messages into the receiving atom through an `EdgeFlow`, which fixes
 * the direction once per forward pass and weights each message by its sender's occupancy (occupancy.ts):
 *
 *   from(x)_e   = x[sender_e]                                   [E, …]
 *   sum(m)_i    = Σ_{e: receiver_e = i} w_e · m_e                [N, …],  w_e = o_{sender_e} (1 when ordered)
 *   convolve(x, W)_i = sum(from(x) ⊙ W)_i                        the continuous-filter pattern (one fused kernel
 *                                                                on webgpu: models/layers/fused.ts)
 *   equivariantMessage(c, Φ, μ, u)                               PaiNN's scalar and vector message sums (one fused
 *                                                                kernel on webgpu: models/layers/fusedPainn.ts)
 *   tensorProductConvolve(x, W, Y)_i = sum(TP(W ⊙ Y, from(x)))_i  SO3Net's convolution (one fused kernel on webgpu:
 *                                                                models/layers/fusedSo3.ts)
 *   gatedSum(f, c)_i = sum(σ(f) ⊙ softplus(c))_i                  CGCNN's gated message (one fused kernel on webgpu:
 *                                                                models/layers/fusedGate.ts)
 *
 * Directions: `toCentre` (messages from neighbor j = `dst` into centre i = `src`: SchNetPack, CGCNN, MatGL's
 * SO3Net) and `toNeighbor` (from `src` into `dst`: MatGL's M3GNet). A model picks one and never names `src`/`dst`
 * again, so its messages cannot be weighted by one atom and summed into the other by mistake.
 */
import * as tf from '@tensorflow/tfjs';
import { edgeRows, type EdgeRows, type GraphBatch } from '../../graph/batch.js';
import { fusedConvolve } from './fused.js';
import { fusedGatedSum } from './fusedGate.js';
import { fusedPainnMessage } from './fusedPainn.js';
import { fusedSo3Convolve } from './fusedSo3.js';
import { tensorProductSlices, type ClebschGordan } from './clebschGordan.js';
import { degreeOf } from './sphericalHarmonics.js';
import { gather, segmentSum, softplus, split, unstack } from './ops.js';

export interface EdgeFlowSpec {
  /** [E] int32 sending atom (or row) of each edge. */
  sender: tf.Tensor1D;
  /** [E] int32 receiving atom of each edge. */
  receiver: tf.Tensor1D;
  /** Number of receivers N (the rows of `sum`'s output). */
  numReceivers: number;
  /** [E] multiplicity of each message (the sender's occupancy; CGCNN's padded slots), or null when all are 1. */
  weights: tf.Tensor1D | null;
  /** Edges grouped by receiver and by sender (built on the host at first use) for fused kernels; null if unknown. */
  rows?: { byReceiver: () => EdgeRows; bySender: () => EdgeRows } | null;
}

export class EdgeFlow {
  constructor(readonly spec: EdgeFlowSpec) {}

  /** Messages from neighbor j (`dst`) into centre i (`src`), weighted by o_j. */
  static toCentre(batch: GraphBatch): EdgeFlow {
    return EdgeFlow.along(batch, 'dst', 'src');
  }

  /** Messages from `src` into `dst` (MatGL's M3GNet), weighted by o_src. */
  static toNeighbor(batch: GraphBatch): EdgeFlow {
    return EdgeFlow.along(batch, 'src', 'dst');
  }

  private static along(batch: GraphBatch, from: 'src' | 'dst', to: 'src' | 'dst'): EdgeFlow {
    const [sender, receiver] = [batch[from], batch[to]];
    const occ = batch.occupancy;
    const rows = { byReceiver: () => edgeRows(batch, to), bySender: () => edgeRows(batch, from) };
    return new EdgeFlow({
      sender,
      receiver,
      numReceivers: batch.numAtoms,
      weights: occ ? gather(occ.occupancy, sender) : null,
      rows,
    });
  }

  /** Sender features per edge: x [N, …] → [E, …]. */
  from<T extends tf.Tensor>(x: T): T {
    return gather(x, this.spec.sender);
  }

  /** Receiver features per edge: x [N, …] → [E, …] (inputs that read both ends, e.g. CGCNN's fc_full). */
  at<T extends tf.Tensor>(x: T): T {
    return gather(x, this.spec.receiver);
  }

  /** Σ of the weighted messages m [E, …] at each receiver → [N, …]. */
  sum<T extends tf.Tensor>(messages: T): T {
    return segmentSum(this.weigh(messages), this.spec.receiver, this.spec.numReceivers);
  }

  /** Σ_j W_ij ⊙ x_j: sender features x [N, F] times edge filters W [E, F], summed at the receiver → [N, F]. */
  convolve(x: tf.Tensor2D, filters: tf.Tensor): tf.Tensor2D {
    const { sender, receiver, numReceivers, weights, rows } = this.spec;
    const fused = fusedConvolve(x, filters, { sender, receiver, numReceivers, weights, rows: rows ?? null });
    if (fused) return fused;
    return this.sum(tf.mul(this.from(x), filters) as tf.Tensor2D);
  }

  /**
   * PaiNN's message (models/painn.ts): with [Φˢ | Φᴿ | Φᵘ] = filters ⊙ from(context) split in three F-wide parts,
   * scalar = sum(Φˢ) [N, F] and vector = sum(Φᴿ · u + Φᵘ ⊙ from(μ)) [N, 3, F]. context [N, 3F], filters [E, 3F],
   * mu [N, 3, F], u [E, 3] unit vectors.
   */
  equivariantMessage(
    context: tf.Tensor2D,
    filters: tf.Tensor2D,
    mu: tf.Tensor3D,
    u: tf.Tensor2D,
  ): { scalar: tf.Tensor2D; vector: tf.Tensor3D } {
    const { sender, receiver, numReceivers, weights, rows } = this.spec;
    const fused = fusedPainnMessage(context, filters, mu, u, {
      sender,
      receiver,
      numReceivers,
      weights,
      rows: rows ?? null,
    });
    if (fused) return fused;
    const [scalar, radial, vectorial] = tf.split(tf.mul(filters, this.from(context)), 3, 1);
    const vector = tf.add(
      tf.mul(tf.expandDims(radial, 1), tf.expandDims(u, 2)),
      tf.mul(tf.expandDims(vectorial, 1), this.from(mu)),
    ) as tf.Tensor3D;
    return { scalar: this.sum(scalar as tf.Tensor2D), vector: this.sum(vector) };
  }

  /**
   * SO3Net's convolution: y_i[s] = sum(Σ_(s₁, s₂ → s, c) c · W[l(s₁)] Y[s₁] ⊙ from(x)[s₂])_i, the Clebsch–Gordan
   * product (clebschGordan.ts) of the filtered harmonics with the sender's features. x [N, S, F], filters
   * [E, (l_max+1)F] (one F-wide block per degree), harmonics [E, S] → [N, S, F].
   */
  tensorProductConvolve(x: tf.Tensor3D, filters: tf.Tensor2D, harmonics: tf.Tensor2D, cg: ClebschGordan): tf.Tensor3D {
    const { sender, receiver, numReceivers, weights, rows } = this.spec;
    const fused = fusedSo3Convolve(x, filters, harmonics, cg, {
      sender,
      receiver,
      numReceivers,
      weights,
      rows: rows ?? null,
    });
    if (fused) return fused;
    // Per-channel [E, F] slices throughout: no [E, S, F] tiles, stacks or unstacks on the edge side.
    const w = split(filters, cg.lmax + 1, 1);
    const y = unstack(harmonics, 1).map((ys) => tf.expandDims(ys, 1));
    const wy = y.map((ys, s) => tf.mul(w[degreeOf(s)], ys));
    const v = tensorProductSlices(wy, unstack(this.from(x), 1), cg);
    return tf.stack(
      v.map((vs) => this.sum(vs as tf.Tensor2D)),
      1,
    ) as tf.Tensor3D;
  }

  /** CGCNN's gated message summed at each receiver, Σ_j σ(f_ij) ⊙ softplus(c_ij): pre-activations f, c [E, F] → [N, F]. */
  gatedSum(filter: tf.Tensor2D, core: tf.Tensor2D): tf.Tensor2D {
    const { sender, receiver, numReceivers, weights, rows } = this.spec;
    const fused = fusedGatedSum(filter, core, { sender, receiver, numReceivers, weights, rows: rows ?? null });
    if (fused) return fused;
    return this.sum(tf.mul(tf.sigmoid(filter), softplus(core)) as tf.Tensor2D);
  }

  /** The message weights as [E] (null when all are 1), for statistics that count messages (CGCNN's bn1). */
  get weights(): tf.Tensor1D | null {
    return this.spec.weights;
  }

  private weigh<T extends tf.Tensor>(messages: T): T {
    const w = this.spec.weights;
    if (!w) return messages;
    return tf.mul(messages, tf.reshape(w, [-1, ...Array<number>(messages.rank - 1).fill(1)])) as T;
  }
}
