/** Shared helpers for model tests: atoms → one-crystal batch → prediction, with graphs built as in training. */
import * as tf from '@tensorflow/tfjs';
import type { Atoms } from '../../data/structure.js';
import { collate, disposeBatch, type GraphBatch } from '../../graph/batch.js';
import type { GraphModel } from '../../models/model.js';
import { buildNeighbors, toSample, type GraphOptions } from '../../graph/featurize.js';

/** A one-crystal batch with the graph built as in training. The caller disposes it (`disposeBatch`). */
export function batchOfAtoms(atoms: Atoms, graph: GraphOptions): GraphBatch {
  return collate([toSample(atoms, buildNeighbors(atoms, graph), NaN)]);
}

/** Runs `f` on a one-crystal batch and disposes the batch once `f` (sync or async) is done, whatever it does. */
export async function withBatch<T>(
  atoms: Atoms,
  graph: GraphOptions,
  f: (b: GraphBatch) => T | Promise<T>,
): Promise<T> {
  const b = batchOfAtoms(atoms, graph);
  try {
    return await f(b);
  } finally {
    disposeBatch(b);
  }
}

/** Per-crystal predictions of `model` for each structure (eval mode), graphs built with `graph`. */
export async function predictAtoms(model: GraphModel, structures: Atoms[], graph: GraphOptions): Promise<Float32Array> {
  const batch = collate(structures.map((a) => toSample(a, buildNeighbors(a, graph), 0)));
  const y = tf.tidy(() => model.forward(batch, false));
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
    disposeBatch(batch);
  }
}
