/**
 * SchNetPack `Atomwise` readout: y_i = MLP(x_i) per atom, then the crystal's sum or mean over its atoms.
 * MLP = pyramidal `build_mlp(n_in, n_out, n_layers = 2)`: Linear(F → ⌊F/2⌋) → SiLU → Linear(⌊F/2⌋ → 1)
 * (schnetpack/atomistic/atomwise.py @ v2.2.0); weights `outnet.0.*`, `outnet.1.*`.
 * x [N, F] → [B]. `mean` is SchNetPack's aggregation_mode "avg" (what OBELiX uses).
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import { Mlp } from './mlp.js';
import { Module } from './module.js';
import { segmentSum } from './ops.js';

export type Aggregation = 'sum' | 'mean';

/**
 * Sum or mean of per-atom values [N] (or [N, K]) into their crystals → [B] (or [B, K]). With occupancies
 * (layers/occupancy.ts) each atom counts o_i times: Σ_i o_i y_i, and the mean divides by Σ_i o_i.
 */
export function poolAtoms<T extends tf.Tensor>(y: T, batch: GraphBatch, aggregation: Aggregation): T {
  const occ = batch.occupancy;
  const column = (v: tf.Tensor1D): tf.Tensor => (y.rank === 1 ? v : tf.expandDims(v, 1));
  const weighted = occ ? (tf.mul(y, column(occ.occupancy)) as T) : y;
  const summed = segmentSum(weighted, batch.graphOfAtom, batch.numGraphs);
  if (aggregation === 'sum') return summed;
  return tf.mul(summed, column(occ ? occ.inverseSums : batch.inverseAtomCounts)) as T;
}

export class Atomwise extends Module {
  static override className = 'Atomwise';
  readonly outnet: Mlp;

  constructor(readonly nIn: number, readonly aggregation: Aggregation, nLayers = 2) {
    super();
    const sizes = [nIn];
    for (let k = 1; k < nLayers; k++) sizes.push(Math.max(1, Math.floor(sizes[k - 1] / 2)));
    sizes.push(1);
    this.outnet = this.child('outnet', new Mlp(sizes, 'silu', { init: 'xavier' }));
  }

  /** x [N, F] → per-crystal output [B]. */
  apply(x: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D {
    const perAtom = tf.reshape(this.outnet.apply(x), [-1]) as tf.Tensor1D;
    return poolAtoms(perAtom, batch, this.aggregation);
  }

  override getConfig(): Record<string, unknown> {
    return { n_in: this.nIn, aggregation: this.aggregation };
  }
}
