/**
 * Embedding table: y_i = W[z_i], W [numEmbeddings, dim] (same layout in PyTorch), z int32 [N] → [N, dim].
 *
 * `paddingIdx` reproduces `nn.Embedding(…, padding_idx=p)` (MatGL SO3Net, docs/architectures.md §5.4): row p is
 * initialised to zero and never receives a gradient, while the forward pass uses the row as stored (a loaded
 * non-zero row stays in use, as in PyTorch). Lookup goes through `ops.gather` (scatterND gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { normal, type Initializer } from './initializers.js';
import { Module } from './module.js';
import { gather, stopGradient } from './ops.js';

export interface EmbeddingOptions {
  /** Row that starts at zero and is never updated; negative counts from the end (PyTorch). */
  paddingIdx?: number;
  /** Initialiser of W (default N(0, 1), PyTorch's). */
  init?: Initializer;
}

export class Embedding extends Module {
  static override className = 'Embedding';
  readonly weight: tf.Variable;
  readonly paddingIdx: number | null;
  /** [numEmbeddings, 1]: 1 on trainable rows, 0 on the padding row. */
  private readonly rowMask: tf.Tensor2D | null;

  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    const p = opts.paddingIdx;
    if (p !== undefined && (p >= numEmbeddings || p < -numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${p} out of range for ${numEmbeddings} rows`);
    }
    this.paddingIdx = p === undefined ? null : (p + numEmbeddings) % numEmbeddings;
    const base = opts.init ?? normal(0, 1);
    const pad = this.paddingIdx;
    const init: Initializer =
      pad === null ? base : (shape, rng) => base(shape, rng).fill(0, pad * dim, (pad + 1) * dim);
    this.weight = this.param('weight', [numEmbeddings, dim], init);
    this.rowMask =
      pad === null
        ? null
        : tf.keep(
            tf.tensor2d(
              Array.from({ length: numEmbeddings }, (_, i) => (i === pad ? 0 : 1)),
              [numEmbeddings, 1],
            ),
          );
  }

  apply(z: tf.Tensor1D): tf.Tensor2D {
    if (!this.rowMask) return gather(this.weight as tf.Tensor2D, z);
    // W·m + detach(W)·(1 − m) equals W exactly and sends no gradient to the padding row.
    const w = tf.add(
      tf.mul(this.weight, this.rowMask),
      tf.mul(stopGradient(this.weight), tf.sub(1, this.rowMask)),
    ) as tf.Tensor2D;
    return gather(w, z);
  }

  override getConfig(): Record<string, unknown> {
    return { numEmbeddings: this.numEmbeddings, dim: this.dim, paddingIdx: this.paddingIdx };
  }

  override dispose(): void {
    super.dispose();
    this.rowMask?.dispose();
  }
}
