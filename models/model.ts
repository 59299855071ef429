/**
 * What the trainer, checkpoints and fine-tuning need from a model: a forward pass over a batch that gives one
 * number per crystal, named weights in upstream state-dict layout, and the representation/head split.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../graph/batch.js';

export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

export interface GraphModel {
  /** Registry name (`schnet`, `painn`, ...). */
  readonly kind: string;
  /** Per-crystal predictions [B], in the model's (normalised) output units. */
  forward(batch: GraphBatch, training: boolean): tf.Tensor1D;
  /** Trainable variables by dotted name (upstream state-dict keys). */
  trainableVariables(): Map<string, tf.Variable>;
  /** Every weight and buffer by dotted name, PyTorch layout. */
  stateDict(): Map<string, StateTensor>;
  loadState(state: Map<string, StateTensor>, opts?: { strict?: boolean }): void;
  countParameters(): number;
  dispose(): void;
}
