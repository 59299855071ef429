/**
 * The losses on normalised targets: on the device for training (summed over a micro-batch, differentiable) and on
 * the host in float64 for validation (the mean over the validation set, from predictions already read back). Both
 * are written here so the two stay one definition (test/train/losses.test.ts checks that they agree).
 */
import * as tf from '@tensorflow/tfjs';

export type LossName = 'mse' | 'mae' | 'huber';

/** Sum over the batch of the per-crystal loss (the trainer divides by the optimiser batch size). */
export function lossSum(kind: LossName, pred: tf.Tensor1D, target: tf.Tensor1D, huberDelta = 1): tf.Scalar {
  return tf.tidy(() => {
    const diff = tf.sub(pred, target);
    if (kind === 'mse') return tf.sum(tf.square(diff));
    if (kind === 'mae') return tf.sum(tf.abs(diff));
    // torch.nn.HuberLoss: 0.5·d² for |d| < δ, else δ·(|d| − 0.5·δ)
    const a = tf.abs(diff);
    const quadratic = tf.minimum(a, huberDelta);
    return tf.sum(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(huberDelta, tf.sub(a, quadratic))));
  });
}

/** Mean over crystals of the same loss on the host, in float64 (validation: early stopping, plateau, best epoch). */
export function meanLoss(kind: LossName, pred: ArrayLike<number>, target: ArrayLike<number>, huberDelta = 1): number {
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - target[i];
    const a = Math.abs(d);
    const quadratic = Math.min(a, huberDelta);
    sum += kind === 'mse' ? d * d : kind === 'mae' ? a : 0.5 * quadratic * quadratic + huberDelta * (a - quadratic);
  }
  return sum / pred.length;
}
