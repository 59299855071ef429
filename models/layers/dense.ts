/**
 * Dense (fully connected) layer: y = act(x·W + b).
 *
 * x [..., in] of rank ≥ 2 (e.g. [N, F] or PaiNN's [N, 3, F], flattened to 2-D for the product) → [..., out].
 * W is kept [in, out] (TF.js) and read/written [out, in] (PyTorch `Linear.weight`); names `weight`, `bias`.
 * Init (set it explicitly, docs/architectures.md §10): `xavier` = SchNetPack `Dense` (xavier-uniform W, zero b),
 * `torch` = PyTorch `nn.Linear` (U(±1/√in) for both), or a pair of initialisers.
 */
import * as tf from '@tensorflow/tfjs';
import {
  fusedActivation,
  activation as lookupActivation,
  type Activation,
  type ActivationName,
} from './activations.js';
import { fusedDense, type FusedActivation, type FusedPart } from './fusedDense.js';
import { torchLinearDefault, xavierUniform, zeros, type Initializer } from './initializers.js';
import { Module } from './module.js';
import { addBias, gather, matMul } from './ops.js';

export type DenseInit = 'xavier' | 'torch' | { weight: Initializer; bias?: Initializer };

export interface DenseOptions {
  /** Add a bias b [out] (default true). */
  bias?: boolean;
  /** Applied after the bias; a registry name or a function (default: none). */
  activation?: ActivationName | Activation | null;
  /** Weight initialisation (default `xavier`, SchNetPack's `Dense`). */
  init?: DenseInit;
}

/**
 * One column block of a concatenated input: the rows of `x`, or `gather(x, index)` when `index` is given (node
 * features read per edge). `inputGrad: false` marks `x` as data, as in `ApplyOptions`.
 */
export interface InputPart {
  x: tf.Tensor2D;
  index?: tf.Tensor1D;
  inputGrad?: boolean;
}

export interface ApplyOptions {
  /** false: the input is data (an RBF expansion), so no gradient w.r.t. it is computed (`matMul` `gradA`). */
  inputGrad?: boolean;
  /** Applied to the output after the layer's own activation (the sigmoid of a gated MLP's gate). */
  outerActivation?: Activation;
}

function initPair(init: DenseInit, fanIn: number): { weight: Initializer; bias: Initializer } {
  if (init === 'xavier') return { weight: xavierUniform, bias: zeros };
  if (init === 'torch') return { weight: torchLinearDefault(fanIn), bias: torchLinearDefault(fanIn) };
  return { weight: init.weight, bias: init.bias ?? zeros };
}

export class Dense extends Module {
  static override className = 'Dense';
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  private readonly act: Activation | null;
  /** The activation as a fused kernel evaluates it (null: none); undefined when it has no fused form. */
  private readonly fusedAct: FusedActivation | null | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    private readonly opts: DenseOptions = {},
  ) {
    super();
    const init = initPair(opts.init ?? 'xavier', inFeatures);
    this.weight = this.param('weight', [inFeatures, outFeatures], init.weight, { torchLinear: true });
    this.bias = opts.bias === false ? null : this.param('bias', [outFeatures], init.bias);
    const a = opts.activation ?? null;
    this.act = typeof a === 'string' ? lookupActivation(a) : a;
    this.fusedAct = this.act ? fusedActivation(this.act) : null;
  }

  /** The fused kernel's result (webgpu), or null where the caller composes the ops. */
  private fused(parts: FusedPart[], columns: [number, number], outerActivation?: Activation): tf.Tensor2D | null {
    // one activation per kernel: `outerActivation` is fused only onto a layer without its own
    const act = outerActivation ? (this.act ? undefined : fusedActivation(outerActivation)) : this.fusedAct;
    if (act === undefined) return null;
    return fusedDense(
      parts,
      this.weight as tf.Variable<tf.Rank.R2>,
      this.bias as tf.Variable<tf.Rank.R1> | null,
      columns,
      act,
    );
  }

  apply(x: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    const inner = x.shape[x.rank - 1];
    if (x.rank < 2 || inner !== this.inFeatures) {
      throw new Error(
        `Dense(${this.inFeatures} → ${this.outFeatures}): input must be [..., ${this.inFeatures}], got [${x.shape.join(', ')}]`,
      );
    }
    const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inner]) as tf.Tensor2D);
    const fused = this.fused(
      [{ x: x2, index: null, inputGrad: opts.inputGrad ?? true }],
      [0, this.outFeatures],
      opts.outerActivation,
    );
    if (fused) return x.rank === 2 ? fused : tf.reshape(fused, [...x.shape.slice(0, -1), this.outFeatures]);
    const product = matMul(x2, this.weight as tf.Variable<tf.Rank.R2>, { gradA: opts.inputGrad ?? true });
    let y: tf.Tensor = this.bias ? addBias(product, this.bias as tf.Variable<tf.Rank.R1>) : product;
    if (this.act) y = this.act(y);
    if (opts.outerActivation) y = opts.outerActivation(y);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  /**
   * The layer on the concatenation [part₁ | part₂ | …] without forming it: Σ_k gather(x_k·W_k, index_k) + b, where
   * W_k are the matching rows of the weight. A gathered part's product runs on the rows of x_k (N atoms) instead of
   * the gathered rows (E edges), and neither the [E, Σ widths] input nor its gradient is ever built. The bias is
   * added to the first gathered part's product (N rows) before its gather, which is the same sum.
   * `columns: [start, size]` evaluates only those output columns (W and b sliced, not the [E, out] result).
   * On webgpu one fused kernel reads the parts (gathered rows included) and the column window in place instead
   * (models/layers/fusedDense.ts): its product runs on the gathered rows, fewer dispatches for more arithmetic.
   */
  applyParts(
    parts: InputPart[],
    columns: [number, number] = [0, this.outFeatures],
    outerActivation?: Activation,
  ): tf.Tensor2D {
    const width = parts.reduce((a, p) => a + p.x.shape[1], 0);
    if (width !== this.inFeatures) {
      throw new Error(
        `Dense(${this.inFeatures} → ${this.outFeatures}): parts of widths [${parts.map((p) => p.x.shape[1]).join(', ')}] do not add up to ${this.inFeatures}`,
      );
    }
    const [start, size] = columns;
    if (start < 0 || size <= 0 || start + size > this.outFeatures) {
      throw new Error(
        `Dense(${this.inFeatures} → ${this.outFeatures}): output columns [${start}, ${start + size}) out of range`,
      );
    }
    const fused = this.fused(
      parts.map((p) => ({ x: p.x, index: p.index ?? null, inputGrad: p.inputGrad ?? true })),
      columns,
      outerActivation,
    );
    if (fused) return fused;
    const bias = this.bias
      ? ((size === this.outFeatures ? this.bias : tf.slice(this.bias, [start], [size])) as tf.Tensor1D)
      : null;
    // the bias joins the first gathered part's product, on its N rows, rather than the E gathered rows
    const biasPart = bias ? parts.findIndex((p) => p.index) : -1;
    let offset = 0;
    let y: tf.Tensor | null = null;
    for (const [k, p] of parts.entries()) {
      const w = tf.slice(this.weight, [offset, start], [p.x.shape[1], size]) as tf.Tensor2D;
      offset += p.x.shape[1];
      const product = matMul(p.x, w, { gradA: p.inputGrad ?? true });
      const withBias = k === biasPart ? addBias(product, bias!) : product;
      const term = p.index ? gather(withBias, p.index) : withBias;
      y = y ? tf.add(y, term) : term;
    }
    if (bias && biasPart < 0) y = addBias(y as tf.Tensor2D, bias);
    const activated = this.act ? this.act(y!) : y!;
    return (outerActivation ? outerActivation(activated) : activated) as tf.Tensor2D;
  }

  override getConfig(): Record<string, unknown> {
    const a = this.opts.activation;
    return {
      in: this.inFeatures,
      out: this.outFeatures,
      bias: this.opts.bias ?? true,
      activation: typeof a === 'string' ? a : a ? 'custom' : null,
      init: typeof this.opts.init === 'object' ? 'custom' : (this.opts.init ?? 'xavier'),
    };
  }
}
