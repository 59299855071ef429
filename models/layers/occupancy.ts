/**
 * Occupancy-aware message passing (graph mode `occupancy: weighted`, data/occupancy.ts), shared by every model.
 *
 *   x⁰_i = Σ_s w_is · lookup(Z_s)     node input = occupancy-weighted mixture of its species' features  [N, F]
 *                                       (a vacancy adds nothing: Σ_s w_is = o_i ≤ 1)
 *   m_ij ← o_j · m_ij                   a message from neighbour j counts as often as j is occupied   [E]
 *   y    = Σ_i o_i y_i / Σ_i o_i        occupancy-weighted mean pooling (readout.ts `poolAtoms`)
 * On an ordered batch (no `batch.occupancy`) the lookup is the plain one and the weight is null, so ordered
 * structures give exactly the `round`-mode computation.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import { gather, segmentSum } from './ops.js';

/** Σ_s w_s·lookup(Z_s) per node [N, F]; `lookup(batch.numbers)` for an ordered batch. */
export function mixEmbedding(lookup: (z: tf.Tensor1D) => tf.Tensor2D, batch: GraphBatch): tf.Tensor2D {
  const occ = batch.occupancy;
  if (!occ) return lookup(batch.numbers);
  const perEntry = tf.mul(lookup(occ.mixNumbers), tf.expandDims(occ.mixWeights, 1)) as tf.Tensor2D;
  return segmentSum(perEntry, occ.mixNode, batch.numAtoms);
}

/** Occupancy o_j of each edge's neighbour (`dst`) as [E, 1] (broadcasts over features), or null when ordered. */
export function neighbourWeight(batch: GraphBatch): tf.Tensor2D | null {
  const occ = batch.occupancy;
  if (!occ) return null;
  return tf.expandDims(gather(occ.occupancy, batch.dst), 1) as tf.Tensor2D;
}

/** Messages [E, …] scaled by their neighbour's occupancy (unchanged for an ordered batch). */
export function weightMessages<T extends tf.Tensor>(messages: T, batch: GraphBatch): T {
  const w = neighbourWeight(batch);
  if (!w) return messages;
  const shaped = messages.rank === 2 ? w : tf.reshape(w, [-1, ...Array<number>(messages.rank - 1).fill(1)]);
  return tf.mul(messages, shaped) as T;
}
