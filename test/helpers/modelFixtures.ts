/** Shared helpers for model tests: atoms → one-crystal batch → prediction, with graphs built as in training. */
import * as tf from '@tensorflow/tfjs';
import type { Atoms } from '../../data/structure.js';
import { collate, disposeBatch } from '../../graph/batch.js';
import type { GraphModel } from '../../models/model.js';
import { buildNeighbors, toSample, type GraphOptions } from '../../train/samples.js';

/** Per-crystal predictions of `model` for each structure (eval mode), graphs built with `graph`. */
export function predictAtoms(model: GraphModel, structures: Atoms[], graph: GraphOptions): Float32Array {
  const batch = collate(structures.map((a) => toSample(a, buildNeighbors(a, graph), 0)));
  const y = tf.tidy(() => model.forward(batch, false));
  const out = y.dataSync() as Float32Array;
  y.dispose();
  disposeBatch(batch);
  return out;
}
