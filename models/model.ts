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
}
