/**
 * SchNetPack's `NeuralNetworkPotential` as our models use it: a representation that gives per-atom scalar features
 * [N, F], followed by the `Atomwise` head (per-atom MLP, then the crystal's mean or sum). Weight names follow
 * SchNetPack's state dict: `representation.*` and `output_modules.0.outnet.*`. SchNet, PaiNN (and any other
 * SchNetPack representation) are this class with their own representation.
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../graph/batch.js';
import { Module, type StateTensor } from './layers/module.js';
import { Atomwise, type Aggregation } from './layers/readout.js';
import type { GraphModel } from './model.js';

export interface AtomRepresentation extends Module {
  /** Scalar atom features x [N, F]. */
  apply(batch: GraphBatch): tf.Tensor2D;
}

export class AtomwiseModel<R extends AtomRepresentation> extends Module implements GraphModel {
  static override className = 'NeuralNetworkPotential';
  readonly representation: R;
  readonly head: Atomwise;

  /** `graphFeatures`: width of the graph-level inputs the head also reads (0 = none). */
  constructor(readonly kind: string, representation: R, nAtomBasis: number, aggregation: Aggregation, readonly options: Record<string, unknown>, graphFeatures = 0) {
    super();
    this.representation = this.child('representation', representation);
    this.head = this.child('output_modules.0', new Atomwise(nAtomBasis, aggregation, 2, graphFeatures));
  }

  /**
   * Per-structure atom features of a frozen representation (fine-tuning with `freeze: [representation]`): they
   * cannot change, so each structure's [n_i, F] block is computed once (read back on first sight, not per step)
   * and later epochs run only the head. Keyed by structure id and atom count; emptied whenever weights are loaded
   * or the representation is trainable.
   */
  private readonly frozenFeatures = new Map<string, { atoms: number; data: Float32Array }>();

  forward(batch: GraphBatch): tf.Tensor1D {
    return this.head.apply(this.atomFeatures(batch), batch);
  }

  private atomFeatures(batch: GraphBatch): tf.Tensor2D {
    if (this.representation.trainableVariables().size > 0) {
      this.frozenFeatures.clear();
      return this.representation.apply(batch);
    }
    const blocks = batch.ids.map((id, g) => {
      const hit = this.frozenFeatures.get(id);
      return hit && hit.atoms === batch.atomsPerGraph[g] ? hit.data : undefined;
    });
    if (blocks.length > 0 && blocks.every((b) => b !== undefined)) {
      const all = new Float32Array(blocks.reduce((n, b) => n + b!.length, 0));
      let at = 0;
      for (const b of blocks) {
        all.set(b!, at);
        at += b!.length;
      }
      return tf.tensor2d(all, [batch.numAtoms, all.length / batch.numAtoms]);
    }
    const x = this.representation.apply(batch);
    const width = x.shape[1];
    const data = x.dataSync() as Float32Array;
    let atom = 0;
    batch.ids.forEach((id, g) => {
      const n = batch.atomsPerGraph[g];
      this.frozenFeatures.set(id, { atoms: n, data: data.slice(atom * width, (atom + n) * width) });
      atom += n;
    });
    return x;
  }

  override loadState(state: Map<string, StateTensor>, opts: { strict?: boolean; prefix?: string } = {}): ReturnType<Module['loadState']> {
    this.frozenFeatures.clear();
    return super.loadState(state, opts);
  }

  override initialize(seed: number | string): this {
    this.frozenFeatures.clear();
    return super.initialize(seed);
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.options };
  }
}
