/** Training losses on normalised targets, averaged over the crystals of a batch. */
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
