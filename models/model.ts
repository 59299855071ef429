/**
 * What the trainer, checkpoints and fine-tuning need from a model: a forward pass over a batch that gives one
 * number per crystal, named weights in upstream state-dict layout (from `Module`), and the representation/head
 * split that `freeze: [representation]` and `reset_head` act on.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../graph/batch.js';
import type { Module, StateTensor } from './layers/module.js';

export type { StateTensor };

export interface GraphModel extends Module {
  /** Registry name (`schnet`, `painn`, ...). */
  readonly kind: string;
  readonly representation: Module;
  readonly head: Module;
  /** Per-crystal predictions [B], in the model's (normalised) output units. */
  forward(batch: GraphBatch, training: boolean): tf.Tensor1D;
  /**
   * True when training-mode outputs depend on the whole batch (batch statistics, as CGCNN's BatchNorm): such a
   * batch cannot be split into micro-batches without changing the function.
   */
  readonly normalisesOverBatch?: boolean;
}

/**
 * A model whose forward is `head.apply(features(batch), batch)`, where each crystal's rows of the features depend on
 * that crystal alone (no batch statistics in the representation). Its features can be cached per crystal while the
 * representation is frozen (models/frozenFeatures.ts). CGCNN is not one: its BatchNorm normalises over the batch.
 */
export interface FeatureModel extends GraphModel {
  readonly head: Module & { apply(features: tf.Tensor2D, batch: GraphBatch): tf.Tensor1D };
  /** The representation's per-atom output [N, F]. */
  features(batch: GraphBatch): tf.Tensor2D;
}

export function isFeatureModel(model: GraphModel): model is FeatureModel {
  return 'features' in model && typeof model.features === 'function';
}
