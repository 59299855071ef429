/**
 * Multilayer perceptron: h₀ = x, h_k = act(h_{k−1}·W_k + b_k), the last layer linear unless `activateLast`.
 *
 * sizes = [in, hidden…, out] gives sizes.length − 1 Dense layers. Child names follow the upstream Sequential:
 * - stride 1 (default): `0`, `1`, … — SchNetPack `build_mlp` / `Dense(…, activation=…)` layouts;
 * - stride 2: `0`, `2`, `4` — `nn.Sequential(Linear, act, Linear, act, Linear)`;
 * - `names`: explicit child names, dots allowed (`layers.0`, `layers.2`) for MatGL-style `ModuleList`s.
 * x [..., in] → [..., out] (see `Dense`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Activation, ActivationName } from './activations.js';
import { Dense, type ApplyOptions, type DenseInit, type InputPart } from './dense.js';
import { Module } from './module.js';

export interface MlpOptions {
  /** Apply the activation after the last layer too (default false). */
  activateLast?: boolean;
  /** Biases on every layer (default true). */
  bias?: boolean;
  /** Initialisation of every layer (default `xavier`, see `Dense`). */
  init?: DenseInit;
  /** Index step between layer names (default 1). */
  stride?: number;
  /** Explicit child names, one per layer (overrides `stride`). */
  names?: string[];
}

export class Mlp extends Module {
  static override className = 'Mlp';
  readonly layers: Dense[];

  constructor(
    readonly sizes: number[],
    private readonly activation: ActivationName | Activation,
    private readonly opts: MlpOptions = {},
  ) {
    super();
    const n = sizes.length - 1;
    if (n < 1) throw new Error(`Mlp needs at least [in, out] sizes, got [${sizes.join(', ')}]`);
    if (opts.names && opts.names.length !== n) throw new Error(`Mlp: ${opts.names.length} names for ${n} layers`);
    const stride = opts.stride ?? 1;
    this.layers = [];
    for (let k = 0; k < n; k++) {
      const act = k < n - 1 || opts.activateLast ? activation : null;
      const name = opts.names?.[k] ?? String(k * stride);
      this.layers.push(
        this.child(name, new Dense(sizes[k], sizes[k + 1], { bias: opts.bias, activation: act, init: opts.init })),
      );
    }
  }

  /**
   * `inputGrad: false` marks the input as data for the first layer, `outerActivation` is applied after the last (see
   * `Dense.apply`).
   */
  apply(x: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    const last = this.layers.length - 1;
    return this.layers.reduce(
      (h, layer, k) =>
        layer.apply(h, {
          inputGrad: k === 0 ? opts.inputGrad : undefined,
          outerActivation: k === last ? opts.outerActivation : undefined,
        }),
      x,
    );
  }

  /** The MLP on a concatenated input given as parts (see `Dense.applyParts`); `outerActivation` after the last layer. */
  applyParts(parts: InputPart[], outerActivation?: Activation): tf.Tensor {
    const last = this.layers.length - 1;
    return this.layers
      .slice(1)
      .reduce(
        (h: tf.Tensor, layer, k) => layer.apply(h, { outerActivation: k + 1 === last ? outerActivation : undefined }),
        this.layers[0].applyParts(parts, undefined, last === 0 ? outerActivation : undefined),
      );
  }

  override getConfig(): Record<string, unknown> {
    return {
      sizes: this.sizes,
      activation: typeof this.activation === 'string' ? this.activation : 'custom',
      activateLast: this.opts.activateLast ?? false,
      bias: this.opts.bias ?? true,
      init: typeof this.opts.init === 'object' ? 'custom' : (this.opts.init ?? 'xavier'),
      names: this.opts.names ?? null,
      stride: this.opts.stride ?? 1,
    };
  }
}
