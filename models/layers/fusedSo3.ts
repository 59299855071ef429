/**
 * SO3Net's convolution (models/so3net.ts; docs/architectures.md §5.1) as fused WGSL on webgpu (docs/webgpu.md,
 * "Fused kernels"): the real Clebsch–Gordan product of the filtered spherical harmonics with the sender's features,
 * summed at each receiver, weighted by w_e (the sender's occupancy):
 *
 *   y_i[s] = Σ_{e → i} w_e · Σ_{(s₁, s₂ → s, c)} c · W_e[l(s₁)] Y_e[s₁] ⊙ x_j[s₂]      x [N, S, F], W [E, (l_max+1)F],
 *                                                                                    Y [E, S], j = sender_e
 * The coefficient table (clebschGordan.ts) is written into the shader as unrolled terms, one branch per channel.
 * Forward: one program, one thread per (receiver, channel, feature) walking its receiver's edges in ascending edge
 * id (a deterministic segment sum, no float atomics). Backward, with g_s = dy[receiver_e, s]:
 *
 *   dx_j[s₂]  = Σ_{e: sender_e = j} w_e Σ_{(s₁, s₂ → s, c)} c · W_e[l(s₁)] Y_e[s₁] ⊙ g_s      sender-grouped segment sum
 *   dW_e[l]   = w_e Σ_{(s₁, s₂ → s, c), l(s₁) = l} c · Y_e[s₁] x_j[s₂] ⊙ g_s                  elementwise per edge
 *   dY_e[s₁]  = w_e Σ_f Σ_{(s₁, s₂ → s, c)} c · W_e[l(s₁)] ⊙ x_j[s₂] ⊙ g_s                    per edge, a sum over F
 *
 * Gradients are registered per input (tf.registerGradient): Y, fixed geometry in training, costs nothing. Other
 * backends never reach these kernels: `fusedSo3Convolve` returns null there and EdgeFlow composes the ops.
 */
import * as tf from '@tensorflow/tfjs';
import { clebschGordan, type ClebschGordan } from './clebschGordan.js';
import type { FusedFlow } from './fused.js';
import { branches, literal, termsOf } from './fusedCgTerms.js';
import {
  named,
  program,
  registerNamedGradient,
  registerWebGPUKernels,
  runProgram,
  weightOf,
  type Program,
} from './fusedProgram.js';
import { degreeOf, numChannels } from './sphericalHarmonics.js';

/** y [rows, S, F] over the receiver-grouped edges. */
function forwardProgram(rows: number, F: number, cg: ClebschGordan, weighted: boolean): Program {
  const [S, L] = [numChannels(cg.lmax), cg.lmax + 1];
  const body = branches('s', S, (key) =>
    termsOf(cg)
      .filter((t) => t.s === key)
      .map(
        (t) =>
          `${literal(t.c)} * W[e * ${L} * F + ${degreeOf(t.s1)} * F + f] * Y[e * ${S} + ${t.s1}] * X[(j * ${S} + ${t.s2}) * F + f]`,
      ),
  );
  return program(
    [rows, S, F],
    `crystalgnn_so3_convolve_${cg.lmax}_${weighted}`,
    ['X', 'W', 'Y', 'rowStart', 'edgeOrder', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let row = index / (${S} * F);
          let s = (index - row * ${S} * F) / F;
          let f = index - row * ${S} * F - s * F;
          var acc = 0.0;
          for (var k = rowStart[row]; k < rowStart[row + 1]; k = k + 1) {
            let e = edgeOrder[k];
            let j = senderOf[e];
            ${body}
            acc = acc + t${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** dx [senders, S, F] over the sender-grouped edges. */
function inputGradProgram(rows: number, F: number, cg: ClebschGordan, weighted: boolean): Program {
  const [S, L] = [numChannels(cg.lmax), cg.lmax + 1];
  const body = branches('s2', S, (key) =>
    termsOf(cg)
      .filter((t) => t.s2 === key)
      .map(
        (t) =>
          `${literal(t.c)} * W[e * ${L} * F + ${degreeOf(t.s1)} * F + f] * Y[e * ${S} + ${t.s1}] * G[(i * ${S} + ${t.s}) * F + f]`,
      ),
  );
  return program(
    [rows, S, F],
    `crystalgnn_so3_dinput_${cg.lmax}_${weighted}`,
    ['G', 'W', 'Y', 'rowStart', 'edgeOrder', 'receiverOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let j = index / (${S} * F);
          let s2 = (index - j * ${S} * F) / F;
          let f = index - j * ${S} * F - s2 * F;
          var acc = 0.0;
          for (var k = rowStart[j]; k < rowStart[j + 1]; k = k + 1) {
            let e = edgeOrder[k];
            let i = receiverOf[e];
            ${body}
            acc = acc + t${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** dW [E, (l_max+1)F], one thread per (edge, degree, feature). */
function filterGradProgram(edges: number, F: number, cg: ClebschGordan, weighted: boolean): Program {
  const [S, L] = [numChannels(cg.lmax), cg.lmax + 1];
  const body = branches('l', L, (key) =>
    termsOf(cg)
      .filter((t) => degreeOf(t.s1) === key)
      .map(
        (t) =>
          `${literal(t.c)} * Y[e * ${S} + ${t.s1}] * X[(j * ${S} + ${t.s2}) * F + f] * G[(i * ${S} + ${t.s}) * F + f]`,
      ),
  );
  return program(
    [edges, L * F],
    `crystalgnn_so3_dfilter_${cg.lmax}_${weighted}`,
    ['G', 'X', 'Y', 'receiverOf', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let e = index / (${L} * F);
          let l = (index - e * ${L} * F) / F;
          let f = index - e * ${L} * F - l * F;
          let i = receiverOf[e];
          let j = senderOf[e];
          ${body}
          setOutputAtIndex(index, t${weightOf(weighted)});`,
  );
}

/** dY [E, S], one thread per (edge, channel) summing over the F features. */
function harmonicGradProgram(edges: number, _F: number, cg: ClebschGordan, weighted: boolean): Program {
  const [S, L] = [numChannels(cg.lmax), cg.lmax + 1];
  const body = branches('s1', S, (key) =>
    termsOf(cg)
      .filter((t) => t.s1 === key)
      .map(
        (t) =>
          `${literal(t.c)} * W[e * ${L} * F + ${degreeOf(t.s1)} * F + f] * X[(j * ${S} + ${t.s2}) * F + f] * G[(i * ${S} + ${t.s}) * F + f]`,
      ),
  );
  return program(
    [edges, S],
    `crystalgnn_so3_dharmonic_${cg.lmax}_${weighted}`,
    ['G', 'W', 'X', 'receiverOf', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let e = index / ${S};
          let s1 = index - e * ${S};
          let i = receiverOf[e];
          let j = senderOf[e];
          var acc = 0.0;
          for (var f = 0; f < F; f = f + 1) {
            ${body}
            acc = acc + t;
          }
          setOutputAtIndex(index, acc${weightOf(weighted)});`,
  );
}

const CONVOLVE = 'CrystalGnnSo3Convolve';
const INPUT_GRAD = 'CrystalGnnSo3InputGrad';
const FILTER_GRAD = 'CrystalGnnSo3FilterGrad';
const HARMONIC_GRAD = 'CrystalGnnSo3HarmonicGrad';
const convolveKernel = (weighted: boolean) => (weighted ? `${CONVOLVE}Weighted` : CONVOLVE);

/** The coefficient table of a kernel's l_max (its attrs carry l_max; the table is a pure function of it). */
const tableOf = (lmax: number): ClebschGordan => clebschGordan(lmax);

type Inputs = Record<string, tf.TensorInfo>;
const featuresOf = (X: tf.TensorInfo) => X.shape[2];

const kernels: [string, (i: Inputs, backend: unknown, attrs: Record<string, number>) => tf.TensorInfo][] = [
  [
    CONVOLVE,
    (i, b, a) => {
      const F = featuresOf(i.X);
      return runProgram(
        b,
        forwardProgram(a.rows, F, tableOf(a.lmax), i.edgeWeight !== undefined),
        [i.X, i.W, i.Y, i.receiverStart, i.receiverOrder, i.senderOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    INPUT_GRAD,
    (i, b, a) => {
      const F = featuresOf(i.X);
      return runProgram(
        b,
        inputGradProgram(i.X.shape[0], F, tableOf(a.lmax), i.edgeWeight !== undefined),
        [i.G, i.W, i.Y, i.senderStart, i.senderOrder, i.receiverOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    FILTER_GRAD,
    (i, b, a) => {
      const F = featuresOf(i.X);
      return runProgram(
        b,
        filterGradProgram(i.W.shape[0], F, tableOf(a.lmax), i.edgeWeight !== undefined),
        [i.G, i.X, i.Y, i.receiverOf, i.senderOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    HARMONIC_GRAD,
    (i, b, a) => {
      const F = featuresOf(i.X);
      return runProgram(
        b,
        harmonicGradProgram(i.W.shape[0], F, tableOf(a.lmax), i.edgeWeight !== undefined),
        [i.G, i.W, i.X, i.receiverOf, i.senderOf, i.edgeWeight],
        F,
      );
    },
  ],
];
kernels.push([convolveKernel(true), kernels[0][1]]);
registerWebGPUKernels(kernels);

/** Inputs of the convolution kernel; TF.js clones what a gradient saves, so an absent weight needs its own kernel name. */
const CONVOLVE_INPUTS = [
  'X',
  'W',
  'Y',
  'senderOf',
  'receiverOf',
  'receiverStart',
  'receiverOrder',
  'senderStart',
  'senderOrder',
] as const;
type ConvolveInput = (typeof CONVOLVE_INPUTS)[number] | 'edgeWeight';

for (const weighted of [false, true]) {
  const inputNames: ConvolveInput[] = [...CONVOLVE_INPUTS, ...(weighted ? (['edgeWeight'] as const) : [])];
  registerNamedGradient(convolveKernel(weighted), inputNames, (dy, s, attrs) => {
    const G = dy as tf.Tensor;
    const common = {
      G,
      X: s.X,
      W: s.W,
      Y: s.Y,
      receiverOf: s.receiverOf,
      senderOf: s.senderOf,
      edgeWeight: s.edgeWeight,
    };
    const lmax = { lmax: (attrs as Record<string, number>).lmax } as unknown as tf.NamedAttrMap;
    const run = (kernel: string, inputs: Partial<Record<string, tf.Tensor>>) => () =>
      tf.engine().runKernel(kernel, named({ ...common, ...inputs }), lmax) as tf.Tensor;
    return {
      X: run(INPUT_GRAD, { senderStart: s.senderStart, senderOrder: s.senderOrder }),
      W: run(FILTER_GRAD, {}),
      Y: run(HARMONIC_GRAD, {}),
    };
  });
}

/**
 * Σ_{e → i} w_e · TP(W_e[l(·)] ⊙ Y_e, x_j) for x [N, S, F], filters [E, (l_max+1)F], harmonics [E, S] as one kernel
 * on webgpu; null elsewhere, or for shapes outside this case, so the caller composes the ops instead.
 */
export function fusedSo3Convolve(
  x: tf.Tensor3D,
  filters: tf.Tensor2D,
  harmonics: tf.Tensor2D,
  cg: ClebschGordan,
  flow: FusedFlow,
): tf.Tensor3D | null {
  if (tf.getBackend() !== 'webgpu' || !flow.rows) return null;
  const [S, L, E] = [numChannels(cg.lmax), cg.lmax + 1, flow.sender.shape[0]];
  const F = x.shape[2];
  const shapesFit =
    x.rank === 3 &&
    filters.rank === 2 &&
    harmonics.rank === 2 &&
    x.shape[1] === S &&
    filters.shape[0] === E &&
    filters.shape[1] === L * F &&
    harmonics.shape[0] === E &&
    harmonics.shape[1] === S;
  if (!shapesFit) return null;
  const byReceiver = flow.rows.byReceiver();
  const bySender = flow.rows.bySender();
  const inputs: Record<ConvolveInput, tf.Tensor | null> = {
    X: x,
    W: filters,
    Y: harmonics,
    senderOf: flow.sender,
    receiverOf: flow.receiver,
    receiverStart: byReceiver.rowStart,
    receiverOrder: byReceiver.order,
    senderStart: bySender.rowStart,
    senderOrder: bySender.order,
    edgeWeight: flow.weights,
  };
  return tf.engine().runKernel(convolveKernel(flow.weights !== null), named(inputs), {
    rows: flow.numReceivers,
    lmax: cg.lmax,
  } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
