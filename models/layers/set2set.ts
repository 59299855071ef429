/**
 * Set2Set readout (Vinyals et al., ICLR 2016), as DGL's `dgl.nn.pytorch.glob.Set2Set` used by MatGL's SO3Net and
 * M3GNet readouts (docs/architectures.md §7). Per crystal b, with q*⁰ = 0 [B, 2D] and LSTM state h = c = 0:
 *
 *   q_b   = LSTM(q*_b; h, c)                        one step of an L-layer LSTM (input 2D, hidden D), state carried
 *   e_i   = ⟨x_i, q_{b(i)}⟩,  α_i = softmax_{i ∈ b}(e_i),  r_b = Σ_{i ∈ b} α_i x_i
 *   q*_b  = [q_b | r_b]                              repeated K = n_iters times; output q* [B, 2D]
 *
 * LSTM cell (PyTorch): [i | f | g | o] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh; i, f, o = σ(·), g = tanh(·);
 * c ← f ⊙ c + i ⊙ g; h ← o ⊙ tanh(c); layer ℓ+1 reads layer ℓ's h. Weights under PyTorch's `nn.LSTM` names
 * (`lstm.weight_ih_l0` [4D, 2D], `weight_hh_l0` [4D, D], `bias_ih_l0`, `bias_hh_l0` [4D], …), init U(±1/√D).
 * Parameters: 28D² + 24D for L = 3. x [N, D] float32 → [B, 2D].
 * Occupancy mode (layers/occupancy.ts): α_i ∝ o_i·exp(e_i), i.e. log o_i is added to the scores, so a site occupied
 * half the time gets half the attention of an identical full one (and a supercell gives the same q*).
 */
import * as tf from '@tensorflow/tfjs';
import type { GraphBatch } from '../../graph/batch.js';
import { uniform } from './initializers.js';
import { Module } from './module.js';
import { fusedLstmCell } from './fusedLstm.js';
import { gather, matMul, segmentSoftmax, segmentSum } from './ops.js';

/**
 * The LSTM cell from its pre-activations z = [z_i | z_f | z_g | z_o] [B, 4H] and cell state c [B, H]:
 * c' = σ(z_f) ⊙ c + σ(z_i) ⊙ tanh(z_g), h' = σ(z_o) ⊙ tanh(c'). (On webgpu `fusedLstmCell` is two kernels.)
 */
export function lstmCell(gates: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [i, f, g, o] = tf.split(gates, 4, 1);
  const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D, c: cNew };
}

/** Stacked LSTM stepped one time step at a time (`torch.nn.LSTM` weights, sigmoid gates). */
export class Lstm extends Module {
  static override className = 'LSTM';
  private readonly layers: Array<{ wih: tf.Variable; whh: tf.Variable; bih: tf.Variable; bhh: tf.Variable }> = [];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly numLayers: number,
  ) {
    super();
    const init = uniform(-1 / Math.sqrt(hiddenSize), 1 / Math.sqrt(hiddenSize));
    const g = 4 * hiddenSize;
    for (let l = 0; l < numLayers; l++) {
      const inp = l === 0 ? inputSize : hiddenSize;
      this.layers.push({
        wih: this.param(`weight_ih_l${l}`, [inp, g], init, { torchLinear: true }),
        whh: this.param(`weight_hh_l${l}`, [hiddenSize, g], init, { torchLinear: true }),
        bih: this.param(`bias_ih_l${l}`, [g], init),
        bhh: this.param(`bias_hh_l${l}`, [g], init),
      });
    }
  }

  /** One time step: input x [B, in], state h, c (each L × [B, H]) → new h, c; the output is the last h. */
  step(x: tf.Tensor2D, h: tf.Tensor2D[], c: tf.Tensor2D[]): { h: tf.Tensor2D[]; c: tf.Tensor2D[] } {
    const hOut: tf.Tensor2D[] = [];
    const cOut: tf.Tensor2D[] = [];
    let input = x;
    this.layers.forEach((w, l) => {
      const gates = tf.add(
        tf.add(matMul(input, w.wih as tf.Variable<tf.Rank.R2>), matMul(h[l], w.whh as tf.Variable<tf.Rank.R2>)),
        tf.add(w.bih, w.bhh),
      ) as tf.Tensor2D;
      const { h: hNew, c: cNew } = fusedLstmCell(gates, c[l]) ?? lstmCell(gates, c[l]);
      hOut.push(hNew);
      cOut.push(cNew);
      input = hNew;
    });
    return { h: hOut, c: cOut };
  }

  override getConfig(): Record<string, unknown> {
    return { input_size: this.inputSize, hidden_size: this.hiddenSize, num_layers: this.numLayers };
  }
}

export class Set2Set extends Module {
  static override className = 'Set2Set';
  readonly lstm: Lstm;

  constructor(
    readonly dim: number,
    readonly nIters = 3,
    readonly nLayers = 3,
  ) {
    super();
    this.lstm = this.child('lstm', new Lstm(2 * dim, dim, nLayers));
  }

  /** Node features x [N, D] of the batch's crystals → [B, 2D]. */
  apply(
    x: tf.Tensor2D,
    batch: Pick<GraphBatch, 'graphOfAtom' | 'numGraphs'> & Partial<Pick<GraphBatch, 'occupancy'>>,
  ): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.dim)
      throw new Error(`Set2Set(${this.dim}): input must be [N, ${this.dim}], got [${x.shape.join(', ')}]`);
    const b = batch.numGraphs;
    const zero = tf.zeros([b, this.dim]) as tf.Tensor2D;
    let h = Array.from({ length: this.nLayers }, () => zero);
    let c = h;
    let qStar = tf.zeros([b, 2 * this.dim]) as tf.Tensor2D;
    const logOcc = batch.occupancy ? tf.log(batch.occupancy.occupancy) : null;
    for (let k = 0; k < this.nIters; k++) {
      ({ h, c } = this.lstm.step(qStar, h, c));
      const q = h[this.nLayers - 1];
      const dot = tf.sum(tf.mul(x, gather(q, batch.graphOfAtom)), 1) as tf.Tensor1D;
      const scores = logOcc ? tf.add(dot, logOcc) : dot;
      const alpha = segmentSoftmax(scores, batch.graphOfAtom, b);
      const r = segmentSum(tf.mul(x, tf.expandDims(alpha, 1)) as tf.Tensor2D, batch.graphOfAtom, b);
      qStar = tf.concat([q, r], 1);
    }
    return qStar;
  }

  override getConfig(): Record<string, unknown> {
    return { dim: this.dim, n_iters: this.nIters, n_layers: this.nLayers };
  }
}
