/**
 * BatchNorm1d in PyTorch's convention (`torch.nn.BatchNorm1d`, used by CGCNN): x [M, C] → [M, C],
 *
 *   training:  y = γ ⊙ (x − μ_B) / √(σ²_B + ε) + β,   μ_B, σ²_B = batch mean and biased variance per channel,
 *              running_mean ← (1 − m)·running_mean + m·μ_B,  running_var ← (1 − m)·running_var + m·σ²_B·W/(W − 1)
 *   eval:      y = γ ⊙ (x − running_mean) / √(running_var + ε) + β
 *
 * with ε = 1e-5 and momentum m = 0.1 (PyTorch's sense: the weight of the new batch; Keras's 0.99 is the other way
 * round). Names `weight` (γ), `bias` (β), `running_mean`, `running_var` (buffers, never optimised).
 * Running statistics are assigned on the device inside the forward pass: no read-back, no dataSync.
 *
 * Optional row weights w [M] (≥ 0) count row r as w_r identical rows: W = Σ w_r, μ_B = Σ w_r x_r / W, and the
 * running variance uses the unbiased factor W/(W − 1). CGCNN uses this for its padded neighbor slots, which are
 * identical per atom (see models/cgcnn.ts); with all weights 1 it is plain BatchNorm1d.
 */
import * as tf from '@tensorflow/tfjs';
import { ones, zeros } from './initializers.js';
import { Module } from './module.js';
import { fusedBatchNorm, fusedRunningUpdate } from './fusedBatchNorm.js';
import { batchNormalize, type BatchStatistics } from './ops.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
}

export class BatchNorm1d extends Module {
  static override className = 'BatchNorm1d';
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = this.param('weight', [numFeatures], ones);
    this.bias = this.param('bias', [numFeatures], zeros);
    this.runningMean = this.buffer('running_mean', { shape: [numFeatures], data: new Float32Array(numFeatures) });
    this.runningVar = this.buffer('running_var', { shape: [numFeatures], data: new Float32Array(numFeatures).fill(1) });
  }

  /**
   * x [M, C]; `training` uses (and updates) batch statistics, otherwise the running ones. `rowWeights` [M]
   * (training only) are multiplicities. Training needs W > 1 rows in total, as in PyTorch.
   */
  apply(x: tf.Tensor2D, training: boolean, rowWeights?: tf.Tensor1D): tf.Tensor2D {
    return this.applyBlocks([x], training, rowWeights)[0];
  }

  /**
   * The layer on x = [x₁ | x₂ | …] given as its column blocks, each normalised with its own channels' γ, β and
   * statistics (BatchNorm is per channel): a caller that uses the halves separately never slices an [M, C] tensor.
   */
  applyBlocks(blocks: tf.Tensor2D[], training: boolean, rowWeights?: tf.Tensor1D): tf.Tensor2D[] {
    const widths = blocks.map((x) => (x.rank === 2 ? x.shape[1] : NaN));
    const rows = blocks[0]?.shape[0];
    if (widths.reduce((a, w) => a + w, 0) !== this.numFeatures || blocks.some((x) => x.shape[0] !== rows)) {
      throw new Error(
        `BatchNorm1d(${this.numFeatures}): input must be [M, ${this.numFeatures}], got ${blocks.map((x) => `[${x.shape.join(', ')}]`).join(' | ')}`,
      );
    }
    if (rowWeights && rowWeights.shape[0] !== rows) {
      throw new Error(`BatchNorm1d(${this.numFeatures}): ${rowWeights.shape[0]} row weights for ${rows} rows`);
    }
    if (training) {
      const fused = fusedBatchNorm(blocks, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps, rowWeights);
      if (fused) {
        // the packed statistics update every channel at once: no slice or concat of the running vectors
        tf.tidy(() => {
          this.runningMean.assign(
            fusedRunningUpdate(this.runningMean as tf.Tensor1D, fused.statistics, this.momentum, 'mean'),
          );
          this.runningVar.assign(
            fusedRunningUpdate(this.runningVar as tf.Tensor1D, fused.statistics, this.momentum, 'variance'),
          );
        });
        return fused.outputs;
      }
    }
    const whole = blocks.length === 1;
    let offset = 0;
    return blocks.map((x, k) => {
      const start = offset;
      offset += widths[k];
      const channels = (v: tf.Tensor): tf.Tensor1D => (whole ? v : tf.slice(v, [start], [widths[k]])) as tf.Tensor1D;
      if (!training) {
        const scale = tf.mul(channels(this.weight), tf.rsqrt(tf.add(channels(this.runningVar), this.eps)));
        return tf.add(tf.mul(tf.sub(x, channels(this.runningMean)), scale), channels(this.bias)) as tf.Tensor2D;
      }
      return batchNormalize(x, channels(this.weight), channels(this.bias), this.eps, rowWeights, (s) =>
        this.updateRunning(s, start),
      );
    });
  }

  /** running ← (1 − m)·running + m·batch on channels [start, start + C_b), with the unbiased variance σ²_B·W/(W − 1). */
  private updateRunning({ mean, variance, total }: BatchStatistics, start: number): void {
    const m = this.momentum;
    tf.tidy(() => {
      const unbiased = tf.mul(variance, tf.div(total, tf.sub(total, 1)));
      const update = (running: tf.Variable, batch: tf.Tensor): void => {
        const width = batch.shape[0];
        const block = tf.add(tf.mul(tf.slice(running, [start], [width]), 1 - m), tf.mul(batch, m));
        const end = start + width;
        running.assign(
          width === this.numFeatures
            ? block
            : tf.concat([tf.slice(running, [0], [start]), block, tf.slice(running, [end], [this.numFeatures - end])]),
        );
      };
      update(this.runningMean, mean);
      update(this.runningVar, unbiased);
    });
  }

  override getConfig(): Record<string, unknown> {
    return { num_features: this.numFeatures, eps: this.eps, momentum: this.momentum };
  }
}
