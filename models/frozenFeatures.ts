/**
 * Fine-tuning with `freeze: [representation]`: the frozen representation's features cannot change, so each crystal's
 * [n_i, F] block is computed once and later epochs run only the head. `FrozenFeatureModel` wraps any `FeatureModel`
 * (train/finetune.ts applies it); the blocks stay on the device, one tensor each, and a batch whose crystals are all
 * cached is their concatenation: nothing is read back to the host. Blocks are keyed by structure id and atom count.
 * The cache is emptied whenever weights are loaded, re-initialised or disposed through the wrapper, and bypassed (and
 * emptied) while the representation is trainable. The wrapper has no weights of its own: names, state and trainable
 * variables are the wrapped model's, so checkpoints do not see it.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../graph/batch.js';
import { Module, type LoadReport, type ParamEntry, type StateTensor } from './layers/module.js';
import type { FeatureModel, GraphModel } from './model.js';

export class FrozenFeatureModel extends Module implements GraphModel {
  private readonly blocks = new Map<string, { atoms: number; data: tf.Tensor2D }>();

  constructor(readonly inner: FeatureModel) {
    super();
  }

  override get className(): string {
    return this.inner.className;
  }

  get kind(): string {
    return this.inner.kind;
  }

  get representation(): Module {
    return this.inner.representation;
  }

  get head(): Module {
    return this.inner.head;
  }

  forward(batch: GraphBatch): tf.Tensor1D {
    return this.inner.head.apply(this.features(batch), batch);
  }

  /** The representation's features for `batch`: from the cache when every crystal is in it. */
  features(batch: GraphBatch): tf.Tensor2D {
    if (this.inner.representation.trainableVariables().size > 0) {
      this.clear();
      return this.inner.features(batch);
    }
    const hits = batch.ids.map((id, g) => {
      const hit = this.blocks.get(id);
      return hit && hit.atoms === batch.atomsPerGraph[g] ? hit.data : undefined;
    });
    if (hits.length > 0 && hits.every((b) => b !== undefined)) return tf.concat(hits as tf.Tensor2D[], 0);
    const x = this.inner.features(batch);
    const blocks = tf.split(x, Array.from(batch.atomsPerGraph), 0) as tf.Tensor2D[];
    batch.ids.forEach((id, g) => {
      this.blocks.get(id)?.data.dispose();
      this.blocks.set(id, { atoms: batch.atomsPerGraph[g], data: tf.keep(blocks[g]) });
    });
    return x;
  }

  override getConfig(): Record<string, unknown> {
    return this.inner.getConfig();
  }

  override namedParameters(prefix = ''): Map<string, ParamEntry> {
    return this.inner.namedParameters(prefix);
  }

  override setTrainable(trainable: boolean): this {
    this.inner.setTrainable(trainable);
    return this;
  }

  override initialize(seed: number | string): this {
    this.clear();
    this.inner.initialize(seed);
    return this;
  }

  override loadState(state: Map<string, StateTensor>, opts: { strict?: boolean; prefix?: string } = {}): LoadReport {
    this.clear();
    return this.inner.loadState(state, opts);
  }

  override dispose(): void {
    this.clear();
    this.inner.dispose();
  }

  private clear(): void {
    for (const b of this.blocks.values()) b.data.dispose();
    this.blocks.clear();
  }
}
