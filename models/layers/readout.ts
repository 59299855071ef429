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
import { gather, segmentSum } from './ops.js';

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

/**
 * Appends each crystal's graph-level features g [B, G] (`data.graph_features`) to x: to every atom of the crystal
 * (`x` [N, F] → [N, F + G]) or to the crystal's row (`x` [B, F] → [B, F + G]). `width` = 0 returns x unchanged.
 */
export function withGraphFeatures(
  x: tf.Tensor2D,
  batch: GraphBatch,
  width: number,
  rows: 'atoms' | 'graphs',
): tf.Tensor2D {
  if (width === 0) return x;
  const g = batch.graphFeatures;
  if (!g || g.shape[1] !== width) {
    throw new Error(
      `the model expects ${width} graph-level features per crystal (data.graph_features), the batch has ${g ? g.shape[1] : 0}`,
    );
  }
  return tf.concat([x, rows === 'atoms' ? gather(g, batch.graphOfAtom) : g], 1);
}

/**
 * With graph-level features (width G) the per-atom MLP reads [x_i ; g_crystal]: its first layer takes F + G
 * inputs, the hidden widths stay those of F.
 */
export class Atomwise extends Module {
  static override className = 'Atomwise';
  readonly outnet: Mlp;

  constructor(
    readonly nIn: number,
    readonly aggregation: Aggregation,
    nLayers = 2,
    readonly graphFeatures = 0,
  ) {
    super();
    const sizes = [nIn];
    for (let k = 1; k < nLayers; k++) sizes.push(Math.max(1, Math.floor(sizes[k - 1] / 2)));
    sizes.push(1);
    sizes[0] = nIn + graphFeatures;
    this.outnet = this.child('outnet', new Mlp(sizes, 'silu', { init: 'xavier' }));
  }

  /** x [N, F] → per-crystal output [B]. */
  apply(x: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D {
    const input = withGraphFeatures(x, batch, this.graphFeatures, 'atoms');
    const perAtom = tf.reshape(this.outnet.apply(input), [-1]) as tf.Tensor1D;
    return poolAtoms(perAtom, batch, this.aggregation);
  }

  override getConfig(): Record<string, unknown> {
    return { n_in: this.nIn, aggregation: this.aggregation, graph_features: this.graphFeatures };
  }
}
