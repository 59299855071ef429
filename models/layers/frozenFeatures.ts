/**
 * Per-structure node features of a frozen representation (fine-tuning with `freeze: [representation]`). They
 * cannot change, so each structure's [n_i, F] block is computed once (read back on first sight, not per step)
 * and later epochs run only the head. Keyed by structure id and atom count; the owning model registers it with
 * `Module.cache`, which empties it whenever weights are loaded or re-initialised, and it is bypassed (and emptied)
 * while the representation is trainable.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import type { Module } from './module.js';

export class FrozenFeatureCache {
  private readonly blocks = new Map<string, { atoms: number; data: Float32Array }>();

  /** The representation's features x [N, F] for `batch`: from the cache when every structure is in it. */
  features(representation: Module, batch: GraphBatch, compute: () => tf.Tensor2D): tf.Tensor2D {
    if (representation.trainableVariables().size > 0) {
      this.blocks.clear();
      return compute();
    }
    const hits = batch.ids.map((id, g) => {
      const hit = this.blocks.get(id);
      return hit && hit.atoms === batch.atomsPerGraph[g] ? hit.data : undefined;
    });
    if (hits.length > 0 && hits.every((b) => b !== undefined)) {
      const all = new Float32Array(hits.reduce((n, b) => n + b!.length, 0));
      let at = 0;
      for (const b of hits) {
        all.set(b!, at);
        at += b!.length;
      }
      return tf.tensor2d(all, [batch.numAtoms, all.length / batch.numAtoms]);
    }
    const x = compute();
    const width = x.shape[1];
    const data = x.dataSync() as Float32Array;
    let atom = 0;
    batch.ids.forEach((id, g) => {
      const n = batch.atomsPerGraph[g];
      this.blocks.set(id, { atoms: n, data: data.slice(atom * width, (atom + n) * width) });
      atom += n;
    });
    return x;
  }

  clear(): void {
    this.blocks.clear();
  }
}
