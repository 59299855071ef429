/**
 * Adam/AdamW's update of one weight tensor as two WGSL programs on webgpu (docs/webgpu.md, "Fused kernels"),
 * instead of the 13–14 elementwise kernels of the composed form in train/optim.ts. Both moments live in one packed
 * state tensor S = [m; v] (2n values for an n-value weight):
 *
 *   moments:  S' = [β₁m + (1−β₁)g ;  β₂v + (1−β₂)g²]        g = gradient (× the clip scale, when one is given)
 *   weight:   θ' = θ·decay − (m' / (√v' / √(1−β₂ᵗ) + ε)) · lr/(1−β₁ᵗ)        decay = 1 − lr·wd (1 for Adam)
 *
 * the same float32 operations in the same order as the composed ops. Every step-dependent number (lr, the bias
 * corrections, the decay) is a uniform, so one compiled pipeline serves every step and every learning rate.
 * This lives in train/ beside the backend code (train/webgpu.ts) rather than in models/layers/: it is the
 * optimiser's kernel, not a model layer's. Other backends never reach it (`fusedAdamAvailable` is false there).
 */
import * as tf from '@tensorflow/tfjs';
import { flatProgram, type Program, runWebGPUProgram, type Uniform } from '../models/layers/fusedProgram.js';

/** A flat program over `size` values whose step numbers are float32 uniforms (declared in the order given). */
function adamProgram(
  size: number,
  shaderKey: string,
  variableNames: string[],
  uniforms: string[],
  body: string,
): Program {
  return flatProgram([size], shaderKey, variableNames, body, uniforms.map((u) => `${u} : f32, `).join(''));
}

const MOMENT_UNIFORMS = ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2'];
const WEIGHT_UNIFORMS = ['sqrtBias2', 'eps', 'stepSize', 'decay'];

/** S' = [β₁m + (1−β₁)g ; β₂v + (1−β₂)g²] over the packed state S [2n] and the gradient G [n] (times Scale[0]). */
function momentsProgram(n: number, scaled: boolean): Program {
  const g = (i: string) => (scaled ? `(G[${i}] * Scale[0])` : `G[${i}]`);
  return adamProgram(
    2 * n,
    `crystalgnn_adam_moments_${scaled}`,
    ['S', 'G', ...(scaled ? ['Scale'] : [])],
    MOMENT_UNIFORMS,
    `
          let n = uniforms.size / 2;
          if (index < n) {
            let g = ${g('index')};
            setOutputAtIndex(index, S[index] * uniforms.beta1 + g * uniforms.oneMinusBeta1);
          } else {
            let g = ${g('index - n')};
            setOutputAtIndex(index, S[index] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2);
          }`,
  );
}

/** θ' = θ·decay − (m / (√v / √(1−β₂ᵗ) + ε)) · stepSize over the weight W [n] and the new packed state S [2n]. */
function weightProgram(n: number): Program {
  return adamProgram(
    n,
    'crystalgnn_adam_weight',
    ['W', 'S'],
    WEIGHT_UNIFORMS,
    `
          let m = S[index];
          let v = S[index + uniforms.size];
          let denom = sqrt(v) / uniforms.sqrtBias2 + uniforms.eps;
          setOutputAtIndex(index, W[index] * uniforms.decay - (m / denom) * uniforms.stepSize);`,
  );
}

const ADAM_MOMENTS = 'CrystalGnnAdamMoments';
const ADAM_WEIGHT = 'CrystalGnnAdamWeight';

const uniformsOf = (names: string[], attrs: tf.NamedAttrMap): Uniform[] =>
  names.map((k) => ({ type: 'float32', data: [attrs[k] as number] }));

tf.registerKernel({
  kernelName: ADAM_MOMENTS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { S, G, Scale } = inputs as Record<string, tf.TensorInfo>;
    const program = momentsProgram(G.shape[0], Scale !== undefined);
    return runWebGPUProgram(backend, program, [S, G, ...(Scale ? [Scale] : [])], uniformsOf(MOMENT_UNIFORMS, attrs!));
  },
});

tf.registerKernel({
  kernelName: ADAM_WEIGHT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { W, S } = inputs as Record<string, tf.TensorInfo>;
    return runWebGPUProgram(backend, weightProgram(W.shape[0]), [W, S], uniformsOf(WEIGHT_UNIFORMS, attrs!));
  },
});

/** Whether the active backend runs the fused update (webgpu only; everything else composes the ops). */
export function fusedAdamAvailable(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** The step's scalars, computed in float64 on the host exactly as the composed update computes them. */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β₁ᵗ) */
  stepSize: number;
  /** √(1 − β₂ᵗ) */
  sqrtBias2: number;
  /** 1 − lr·wd (1 for Adam) */
  decay: number;
}

/**
 * One fused update of `weight` (any shape, n values) with its packed moments `state` [2n] and gradient `grad` (the
 * weight's shape), optionally scaled by `gradScale` (a scalar on device: the clip factor). Returns the new weight
 * (the weight's shape) and the new packed state; the caller assigns both. Two dispatches.
 */
export function fusedAdamUpdate(
  weight: tf.Tensor,
  state: tf.Tensor,
  grad: tf.Tensor,
  s: AdamScalars,
  gradScale: tf.Scalar | null,
): { weight: tf.Tensor; state: tf.Tensor } {
  return tf.tidy(() => {
    const n = weight.size;
    const named: tf.NamedTensorMap = { S: state, G: tf.reshape(grad, [n]) };
    if (gradScale) named.Scale = tf.reshape(gradScale, [1]);
    const moments = tf.engine().runKernel(ADAM_MOMENTS, named, {
      beta1: s.beta1,
      oneMinusBeta1: 1 - s.beta1,
      beta2: s.beta2,
      oneMinusBeta2: 1 - s.beta2,
    }) as tf.Tensor1D;
    const updated = tf.engine().runKernel(
      ADAM_WEIGHT,
      { W: tf.reshape(weight, [n]), S: moments },
      {
        sqrtBias2: s.sqrtBias2,
        eps: s.eps,
        stepSize: s.stepSize,
        decay: s.decay,
      },
    ) as tf.Tensor;
    return { weight: tf.reshape(updated, weight.shape), state: moments };
  });
}
