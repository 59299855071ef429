/**
 * The LSTM cell of Set2Set (models/layers/set2set.ts `Lstm.step`) as fused WGSL on webgpu (docs/webgpu.md, "Fused
 * kernels"). With the pre-activations z = [z_i | z_f | z_g | z_o] [B, 4H] and the cell state c [B, H]:
 *
 *   c' = σ(z_f) ⊙ c + σ(z_i) ⊙ tanh(z_g)          one program (inputs z, c)
 *   h' = σ(z_o) ⊙ tanh(c')                         one program (inputs z, c')
 *
 * Backward, per input (registered gradients, so each runs only when needed), with a = dc' or dh':
 *   from c':  dz_i = a tanh(z_g) σ'(z_i),  dz_f = a c σ'(z_f),  dz_g = a σ(z_i)(1 − tanh²(z_g)),  dz_o = 0;
 *             dc = a σ(z_f)
 *   from h':  dz_o = a tanh(c') σ'(z_o), the other three blocks 0;  dc' = a σ(z_o)(1 − tanh²(c'))
 * σ and tanh are written as TF.js's webgpu kernels evaluate them. The composed cell splits z, takes three sigmoids
 * and two tanh, multiplies and adds: about 13 dispatches forward and 25 backward per cell, and Set2Set runs
 * n_iters × n_layers cells per step. Other backends never reach these kernels: `fusedLstmCell` returns null there.
 */
import * as tf from '@tensorflow/tfjs';
import {
  flatProgram,
  named,
  registerNamedGradient,
  registerWebGPUKernels,
  runWebGPUProgram,
  withHelpers,
} from './fusedProgram.js';

const SIGMOID = 'fn gateSigmoid(a : f32) -> f32 { return 1.0 / (1.0 + exp(-1.0 * a)); }';
const TANH =
  'fn gateTanh(a : f32) -> f32 { let e2x = exp(-2.0 * abs(a)); return sign(a) * (1.0 - e2x) / (1.0 + e2x); }';

/** A flat program over [B, width] with b, k (the column) and H in scope, and σ, tanh defined. */
function cellProgram(outputShape: [number, number], shaderKey: string, variableNames: string[], body: string) {
  return withHelpers(
    flatProgram(
      outputShape,
      shaderKey,
      variableNames,
      `let H = uniforms.hidden;
          let b = index / uniforms.outShape[1];
          let k = index - b * uniforms.outShape[1];
          ${body}`,
      'hidden : i32,',
    ),
    `${SIGMOID}\n${TANH}`,
  );
}

/** Z[b, block · H + j] for the gate block 0–3 (i, f, g, o). */
const z = (block: number, j = 'k') => `Z[b * 4 * H + ${block} * H + ${j}]`;

const programs = {
  cell: (B: number, H: number) =>
    cellProgram(
      [B, H],
      'crystalgnn_lstm_cell',
      ['Z', 'C'],
      `setOutputAtIndex(index, gateSigmoid(${z(1)}) * C[index] + gateSigmoid(${z(0)}) * gateTanh(${z(2)}));`,
    ),
  hidden: (B: number, H: number) =>
    cellProgram(
      [B, H],
      'crystalgnn_lstm_hidden',
      ['Z', 'CN'],
      `setOutputAtIndex(index, gateSigmoid(${z(3)}) * gateTanh(CN[index]));`,
    ),
  /** dz [B, 4H] from dc' (A): one thread per pre-activation. */
  cellGradZ: (B: number, H: number) =>
    cellProgram(
      [B, 4 * H],
      'crystalgnn_lstm_cell_dz',
      ['A', 'Z', 'C'],
      `let block = k / H;
          let j = k - block * H;
          let a = A[b * H + j];
          let s = gateSigmoid(Z[index]);
          var d = 0.0;
          if (block == 0) { d = a * gateTanh(${z(2, 'j')}) * s * (1.0 - s); }
          else if (block == 1) { d = a * C[b * H + j] * s * (1.0 - s); }
          else if (block == 2) { let t = gateTanh(Z[index]); d = a * gateSigmoid(${z(0, 'j')}) * (1.0 - t * t); }
          setOutputAtIndex(index, d);`,
    ),
  cellGradC: (B: number, H: number) =>
    cellProgram(
      [B, H],
      'crystalgnn_lstm_cell_dc',
      ['A', 'Z'],
      `setOutputAtIndex(index, A[index] * gateSigmoid(${z(1)}));`,
    ),
  /** dz [B, 4H] from dh' (A): only the output gate's block is nonzero. */
  hiddenGradZ: (B: number, H: number) =>
    cellProgram(
      [B, 4 * H],
      'crystalgnn_lstm_hidden_dz',
      ['A', 'Z', 'CN'],
      `let j = k - 3 * H;
          var d = 0.0;
          if (j >= 0) { let s = gateSigmoid(Z[index]); d = A[b * H + j] * gateTanh(CN[b * H + j]) * s * (1.0 - s); }
          setOutputAtIndex(index, d);`,
    ),
  hiddenGradC: (B: number, H: number) =>
    cellProgram(
      [B, H],
      'crystalgnn_lstm_hidden_dcn',
      ['A', 'Z', 'CN'],
      `let t = gateTanh(CN[index]);
          setOutputAtIndex(index, A[index] * gateSigmoid(${z(3)}) * (1.0 - t * t));`,
    ),
};

const KERNELS = {
  cell: 'CrystalGnnLstmCell',
  hidden: 'CrystalGnnLstmHidden',
  cellGradZ: 'CrystalGnnLstmCellGradZ',
  cellGradC: 'CrystalGnnLstmCellGradC',
  hiddenGradZ: 'CrystalGnnLstmHiddenGradZ',
  hiddenGradC: 'CrystalGnnLstmHiddenGradC',
} as const;

/** Each kernel's program inputs, in the order of its variable names. */
const INPUTS: Record<keyof typeof KERNELS, string[]> = {
  cell: ['Z', 'C'],
  hidden: ['Z', 'CN'],
  cellGradZ: ['A', 'Z', 'C'],
  cellGradC: ['A', 'Z'],
  hiddenGradZ: ['A', 'Z', 'CN'],
  hiddenGradC: ['A', 'Z', 'CN'],
};

registerWebGPUKernels<Record<string, never>>(
  (Object.keys(KERNELS) as (keyof typeof KERNELS)[]).map((name) => [
    KERNELS[name],
    (i, backend) => {
      const [B, fourH] = i.Z.shape;
      const H = fourH / 4;
      return runWebGPUProgram(
        backend,
        programs[name](B, H),
        INPUTS[name].map((n) => i[n]),
        [{ type: 'int32', data: [H] }],
      );
    },
  ]),
);

const runKernel = (kernel: string, inputs: Partial<Record<string, tf.Tensor>>) => () =>
  tf.engine().runKernel(kernel, named(inputs)) as tf.Tensor;

registerNamedGradient(KERNELS.cell, ['Z', 'C'] as const, (dy, s) => ({
  Z: runKernel(KERNELS.cellGradZ, { A: dy as tf.Tensor, Z: s.Z, C: s.C }),
  C: runKernel(KERNELS.cellGradC, { A: dy as tf.Tensor, Z: s.Z }),
}));
registerNamedGradient(KERNELS.hidden, ['Z', 'CN'] as const, (dy, s) => ({
  Z: runKernel(KERNELS.hiddenGradZ, { A: dy as tf.Tensor, Z: s.Z, CN: s.CN }),
  CN: runKernel(KERNELS.hiddenGradC, { A: dy as tf.Tensor, Z: s.Z, CN: s.CN }),
}));

/**
 * The new hidden and cell state of an LSTM cell from its pre-activations z [B, 4H] (gate order i, f, g, o) and cell
 * state c [B, H], as two kernels on webgpu; null elsewhere, or for shapes outside this case.
 */
export function fusedLstmCell(gates: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } | null {
  if (tf.getBackend() !== 'webgpu' || gates.rank !== 2 || c.rank !== 2) return null;
  const [B, H] = c.shape;
  if (gates.shape[0] !== B || gates.shape[1] !== 4 * H || B * H === 0) return null;
  const cNew = tf.engine().runKernel(KERNELS.cell, { Z: gates, C: c }) as tf.Tensor2D;
  const hNew = tf.engine().runKernel(KERNELS.hidden, { Z: gates, CN: cNew }) as tf.Tensor2D;
  return { h: hNew, c: cNew };
}
