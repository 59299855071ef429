/**
 * Per-structure node features of a frozen representation (fine-tuning with `freeze: [representation]`). They
 * cannot change, so each structure's [n_i, F] block is computed once (kept on the device as its own tensor: no read
 * back, which WebGPU in Node cannot do synchronously) and later epochs run only the head. Keyed by structure id and atom count; the owning model registers it with
 * `Module.cache`, which empties it whenever weights are loaded or re-initialised, and it is bypassed (and emptied)
 * while the representation is trainable.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import type { Module } from './module.js';

export class FrozenFeatureCache {
  private readonly blocks = new Map<string, { atoms: number; data: tf.Tensor2D }>();

  /** The representation's features x [N, F] for `batch`: from the cache when every structure is in it. */
  features(representation: Module, batch: GraphBatch, compute: () => tf.Tensor2D): tf.Tensor2D {
    if (representation.trainableVariables().size > 0) {
      this.clear();
      return compute();
    }
    const hits = batch.ids.map((id, g) => {
      const hit = this.blocks.get(id);
      return hit && hit.atoms === batch.atomsPerGraph[g] ? hit.data : undefined;
    });
    if (hits.length > 0 && hits.every((b) => b !== undefined)) return tf.concat(hits as tf.Tensor2D[], 0);
    const x = compute();
    const blocks = tf.split(x, Array.from(batch.atomsPerGraph), 0) as tf.Tensor2D[];
    batch.ids.forEach((id, g) => {
      this.blocks.get(id)?.data.dispose();
      this.blocks.set(id, { atoms: batch.atomsPerGraph[g], data: tf.keep(blocks[g]) });
    });
    return x;
  }

  clear(): void {
    for (const b of this.blocks.values()) b.data.dispose();
    this.blocks.clear();
  }
}
