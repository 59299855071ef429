/**
 * Gated MLP (MatGL `GatedMLP`, matgl/layers/_core.py @ e9cde22; M3GNet, docs/architectures.md §6.5):
 *
 *   y = value(x) ⊙ gate(x),  value = (Linear → SiLU) × n,  gate = (Linear → SiLU) × (n − 1) → Linear → σ
 *
 * SiLU is hard-coded upstream whatever the model's activation. sizes = [in, hidden…, out]; weights under
 * `layers.{0,2,4…}` and `gates.{0,2,4…}` (nn.Sequential indices with the activations in between), PyTorch
 * `nn.Linear` init. x [M, in] → [M, out].
 */
import * as tf from '@tensorflow/tfjs';
import { sigmoid } from './activations.js';
import type { ApplyOptions, InputPart } from './dense.js';
import { Mlp } from './mlp.js';
import { Module } from './module.js';

export class GatedMlp extends Module {
  static override className = 'GatedMLP';
  readonly layers: Mlp;
  readonly gates: Mlp;

  constructor(
    readonly sizes: number[],
    readonly bias = true,
  ) {
    super();
    this.layers = this.child('layers', new Mlp(sizes, 'silu', { activateLast: true, stride: 2, bias, init: 'torch' }));
    this.gates = this.child('gates', new Mlp(sizes, 'silu', { stride: 2, bias, init: 'torch' }));
  }

  /** The gate's sigmoid is applied by its last layer (`outerActivation`: one fused kernel on webgpu, tf.sigmoid elsewhere). */
  apply(x: tf.Tensor2D, opts: ApplyOptions = {}): tf.Tensor2D {
    return tf.mul(
      this.layers.apply(x, opts),
      this.gates.apply(x, { ...opts, outerActivation: sigmoid }),
    ) as tf.Tensor2D;
  }

  /** The gated MLP on a concatenated input given as parts (see `Dense.applyParts`). */
  applyParts(parts: InputPart[]): tf.Tensor2D {
    return tf.mul(this.layers.applyParts(parts), this.gates.applyParts(parts, sigmoid)) as tf.Tensor2D;
  }

  override getConfig(): Record<string, unknown> {
    return { sizes: this.sizes, bias: this.bias };
  }
}
