/**
 * SchNetPack's `NeuralNetworkPotential` as our models use it: a representation that gives per-atom scalar features
 * [N, F], followed by the `Atomwise` head (per-atom MLP, then the crystal's mean or sum). Weight names follow
 * SchNetPack's state dict: `representation.*` and `output_modules.0.outnet.*`. SchNet, PaiNN (and any other
 * SchNetPack representation) are this class with their own representation.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../graph/batch.js';
import { Module } from './layers/module.js';
import { Atomwise, type Aggregation } from './layers/readout.js';
import type { FeatureModel } from './model.js';

export interface AtomRepresentation extends Module {
  /** Scalar atom features x [N, F]. */
  apply(batch: GraphBatch): tf.Tensor2D;
}

export class AtomwiseModel<R extends AtomRepresentation> extends Module implements FeatureModel {
  static override className = 'NeuralNetworkPotential';
  readonly representation: R;
  readonly head: Atomwise;

  /** `graphFeatures`: width of the graph-level inputs the head also reads (0 = none). */
  constructor(
    readonly kind: string,
    representation: R,
    nAtomBasis: number,
    aggregation: Aggregation,
    readonly options: Record<string, unknown>,
    graphFeatures = 0,
  ) {
    super();
    this.representation = this.child('representation', representation);
    this.head = this.child('output_modules.0', new Atomwise(nAtomBasis, aggregation, 2, graphFeatures));
  }

  features(batch: GraphBatch): tf.Tensor2D {
    return this.representation.apply(batch);
  }

  forward(batch: GraphBatch): tf.Tensor1D {
    return this.head.apply(this.features(batch), batch);
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.options };
  }
}
