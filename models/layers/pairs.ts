/**
 * Work that depends only on an edge's length, done once per undirected pair (graph/pairs.ts) and gathered to
 * both directed edges: f(d_ij) = f(d_ji). Falls back to every edge when the batch carries no pairs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import { gather } from './ops.js';

/** The lengths to evaluate a distance function on: pair distances [P] if present, else edge distances [E]. */
export function pairDistances(batch: GraphBatch): tf.Tensor1D {
  return batch.pairs ? batch.pairs.distances : batch.distances;
}

/** Expands per-pair values [P, ...] (computed on `pairDistances`) to per-edge values [E, ...]. */
export function toEdges<T extends tf.Tensor>(perPair: T, batch: GraphBatch): T {
  return batch.pairs ? gather(perPair, batch.pairs.edgePair) : perPair;
}
