/**
 * Occupancy-aware message passing (graph mode `occupancy: weighted`, data/occupancy.ts), shared by every model.
 *
 *   x⁰_i = Σ_s w_is · lookup(Z_s)     node input = occupancy-weighted mixture of its species' features  [N, F]
 *                                       (a vacancy adds nothing: Σ_s w_is = o_i ≤ 1)
 *   m_ij ← o_j · m_ij                   a message from its sender j counts as often as j is occupied  [E]
 *                                       (built into every sum of `EdgeFlow`, flow.ts)
 *   y    = Σ_i o_i y_i / Σ_i o_i        occupancy-weighted mean pooling (readout.ts `poolAtoms`)
 * On an ordered batch (no `batch.occupancy`) the lookup is the plain one and the weight is null, so ordered
 * structures give exactly the `round`-mode computation.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import { EdgeFlow } from './flow.js';
import { segmentSum } from './ops.js';

/**
 * Σ_s w_s·lookup(Z_s) per node [N, F]; `lookup(batch.numbers)` for an ordered batch. `keys` replaces Z by other
 * lookup keys (M3GNet's embedding rows): `atoms` [N] for the ordered path, `mixture` [M] for the mixture entries.
 */
export function mixEmbedding(
  lookup: (key: tf.Tensor1D) => tf.Tensor2D,
  batch: GraphBatch,
  keys?: { atoms: tf.Tensor1D; mixture: tf.Tensor1D | null },
): tf.Tensor2D {
  const occ = batch.occupancy;
  if (!occ) return lookup(keys ? keys.atoms : batch.numbers);
  if (keys && !keys.mixture) throw new Error('mixEmbedding: the batch has occupancies but no mixture keys were given');
  const perEntry = tf.mul(lookup(keys?.mixture ?? occ.mixNumbers), tf.expandDims(occ.mixWeights, 1)) as tf.Tensor2D;
  return segmentSum(perEntry, occ.mixNode, batch.numAtoms);
}

/** Occupancy o_j of each neighbor j (`dst`) as [E, 1], or null when ordered: `EdgeFlow.toCentre`'s message weights. */
export function neighborWeight(batch: GraphBatch): tf.Tensor2D | null {
  const w = EdgeFlow.toCentre(batch).weights;
  return w && (tf.expandDims(w, 1) as tf.Tensor2D);
}
