/**
 * SO3Net's per-degree gate (models/so3net.ts `SO3ParametricGatedNonlinearity`) as fused WGSL on webgpu
 * (docs/webgpu.md, "Fused kernels"): every channel s of degree l(s) is scaled by the sigmoid of its degree's gate,
 *
 *   y[n, s, f]   = x[n, s, f] · σ(h[n, l(s), f])                                x [N, S, F], h [N, l_max+1, F]
 *   dx[n, s, f]  = g[n, s, f] · σ(h[n, l(s), f])                                g = d(loss)/dy
 *   dh[n, l, f]  = σ(h)(1 − σ(h))[n, l, f] · Σ_{s: l(s) = l} g[n, s, f] x[n, s, f]
 *
 * one program each, one thread per output element. The composed form repeats h per degree (slice, tile, concat),
 * takes the sigmoid and multiplies, about 7 dispatches forward and 12 backward for l_max = 1. Gradients are
 * registered per input. Other backends never reach these kernels: `fusedDegreeGate` returns null there.
 */
import * as tf from '@tensorflow/tfjs';
import {
  named,
  program,
  registerNamedGradient,
  registerWebGPUKernels,
  runProgram,
  type Program,
} from './fusedProgram.js';
import { numChannels } from './sphericalHarmonics.js';

/** WGSL of the degree l(s) of channel `s` for s < (l_max+1)²: the count of squares k² ≤ s, k = 1..l_max. */
const degreeOfChannel = (s: string, lmax: number) =>
  lmax === 0 ? '0' : Array.from({ length: lmax }, (_, k) => `select(0, 1, ${s} >= ${(k + 1) ** 2})`).join(' + ');

/** σ as TF.js's webgpu Sigmoid evaluates it. */
const sigmoid = (v: string) => `(1.0 / (1.0 + exp(-1.0 * ${v})))`;

/** y or dx [N, S, F]: `P` times σ of the channel's degree gate in H. */
function scaleProgram(N: number, F: number, lmax: number, shaderKey: string, P: string): Program {
  const [S, L] = [numChannels(lmax), lmax + 1];
  return program(
    [N, S, F],
    `${shaderKey}_${lmax}`,
    [P, 'H'],
    `
          let n = index / (${S} * F);
          let s = (index - n * ${S} * F) / F;
          let f = index - n * ${S} * F - s * F;
          let l = ${degreeOfChannel('s', lmax)};
          setOutputAtIndex(index, ${P}[index] * ${sigmoid(`H[(n * ${L} + l) * F + f]`)});`,
  );
}

/** dh [N, l_max+1, F]. */
function gateGradProgram(N: number, F: number, lmax: number): Program {
  const [S, L] = [numChannels(lmax), lmax + 1];
  return program(
    [N, L, F],
    `crystalgnn_degree_gate_dh_${lmax}`,
    ['G', 'X', 'H'],
    `
          let n = index / (${L} * F);
          let l = (index - n * ${L} * F) / F;
          let f = index - n * ${L} * F - l * F;
          var acc = 0.0;
          for (var s = l * l; s < (l + 1) * (l + 1); s = s + 1) {
            let k = (n * ${S} + s) * F + f;
            acc = acc + G[k] * X[k];
          }
          let sig = ${sigmoid('H[index]')};
          setOutputAtIndex(index, acc * sig * (1.0 - sig));`,
  );
}

const GATE = 'CrystalGnnDegreeGate';
const GRAD_X = 'CrystalGnnDegreeGateGradX';
const GRAD_H = 'CrystalGnnDegreeGateGradH';

type Inputs = Record<string, tf.TensorInfo>;
const lmaxOf = (H: tf.TensorInfo) => H.shape[1] - 1;

registerWebGPUKernels<Record<string, never>>([
  [
    GATE,
    (i: Inputs, b) => {
      const [N, , F] = i.X.shape;
      return runProgram(b, scaleProgram(N, F, lmaxOf(i.H), 'crystalgnn_degree_gate', 'X'), [i.X, i.H], F);
    },
  ],
  [
    GRAD_X,
    (i: Inputs, b) => {
      const [N, , F] = i.G.shape;
      return runProgram(b, scaleProgram(N, F, lmaxOf(i.H), 'crystalgnn_degree_gate_dx', 'G'), [i.G, i.H], F);
    },
  ],
  [
    GRAD_H,
    (i: Inputs, b) => {
      const [N, , F] = i.G.shape;
      return runProgram(b, gateGradProgram(N, F, lmaxOf(i.H)), [i.G, i.X, i.H], F);
    },
  ],
]);

registerNamedGradient(GATE, ['X', 'H'] as const, (dy, s) => {
  const G = dy as tf.Tensor;
  const grad = (kernel: string, inputs: Partial<Record<string, tf.Tensor>>) => () =>
    tf.engine().runKernel(kernel, named(inputs)) as tf.Tensor;
  return { X: grad(GRAD_X, { G, H: s.H }), H: grad(GRAD_H, { G, X: s.X, H: s.H }) };
});

/**
 * x ⊙ σ(h[l(s)]) for x [N, (l_max+1)², F] and h [N, l_max+1, F] as one kernel on webgpu; null elsewhere, or for
 * shapes outside this case, where the caller composes the ops.
 */
export function fusedDegreeGate(x: tf.Tensor3D, h: tf.Tensor3D): tf.Tensor3D | null {
  if (tf.getBackend() !== 'webgpu' || x.rank !== 3 || h.rank !== 3 || x.size === 0) return null;
  const [N, S, F] = x.shape;
  const lmax = h.shape[1] - 1;
  if (h.shape[0] !== N || h.shape[2] !== F || S !== numChannels(lmax)) return null;
  return tf.engine().runKernel(GATE, { X: x, H: h }) as tf.Tensor3D;
}
