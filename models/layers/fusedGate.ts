/**
 * CGCNN's gated message and its receiver sum (Xie & Grossman 2018, eq. 5; models/cgcnn.ts) as fused WGSL on webgpu
 * (docs/webgpu.md, "Fused kernels"): from the normalised filter and core pre-activations f, c [E, F] of each edge
 * (neighbor slot) and its weight w_e,
 *
 *   out_i = Σ_{e → i} w_e · σ(f_e) ⊙ softplus(c_e)                                   [N, F]
 *
 * one program, one thread per (receiver, feature) walking its receiver's edges in ascending edge id (a deterministic
 * segment sum, no float atomics), where the composed form runs σ, softplus, a product and a scatter. Backward, with
 * g_e = w_e · dout[receiver_e], one elementwise program per input:
 *
 *   df_e = g_e ⊙ softplus(c_e) ⊙ σ(f_e)(1 − σ(f_e))        dc_e = g_e ⊙ σ(f_e) ⊙ σ(c_e)
 *
 * Other backends never reach these kernels: `fusedGatedSum` returns null there and EdgeFlow composes the ops as
 * before (bit-for-bit).
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedFlow } from './fused.js';
import { ACTIVATION_HELPERS } from './fusedDense.js';
import {
  named,
  program,
  registerNamedGradient,
  registerWebGPUKernels,
  runProgram,
  weightOf,
  withHelpers,
  type Program,
} from './fusedProgram.js';

/** A flat program (F a uniform) with σ and softplus available to its body. */
function gateProgram(outputShape: number[], shaderKey: string, variableNames: string[], body: string): Program {
  return withHelpers(program(outputShape, shaderKey, variableNames, body), ACTIVATION_HELPERS);
}

/** out [rows, F]: Σ over the receiver's edges of σ(f_e) ⊙ softplus(c_e) · w_e. */
function sumProgram(rows: number, F: number, weighted: boolean): Program {
  return gateProgram(
    [rows, F],
    `crystalgnn_gate_sum_${weighted}`,
    ['Filter', 'Core', 'rowStart', 'edgeOrder', ...(weighted ? ['edgeWeight'] : [])],
    `
          let row = index / F;
          let f = index - row * F;
          var acc = 0.0;
          for (var k = rowStart[row]; k < rowStart[row + 1]; k = k + 1) {
            let e = edgeOrder[k];
            acc = acc + sigmoidOf(Filter[e * F + f]) * softplusOf(Core[e * F + f])${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** df or dc [E, F], one thread per (edge, feature). */
function gradProgram(edges: number, F: number, weighted: boolean, which: 'filter' | 'core'): Program {
  const local =
    which === 'filter' ? 'softplusOf(Core[index]) * (gate * (1.0 - gate))' : 'gate * sigmoidOf(Core[index])';
  return gateProgram(
    [edges, F],
    `crystalgnn_gate_d${which}_${weighted}`,
    ['DY', 'Filter', 'Core', 'receiverOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let e = index / F;
          let f = index - e * F;
          let gate = sigmoidOf(Filter[index]);
          setOutputAtIndex(index, DY[receiverOf[e] * F + f]${weightOf(weighted)} * (${local}));`,
  );
}

const SUM = 'CrystalGnnGatedSum';
const sumKernel = (weighted: boolean) => (weighted ? `${SUM}Weighted` : SUM);
const FILTER_GRAD = 'CrystalGnnGatedSumFilterGrad';
const CORE_GRAD = 'CrystalGnnGatedSumCoreGrad';

type Inputs = Record<string, tf.TensorInfo>;

const gradKernel =
  (which: 'filter' | 'core') =>
  (i: Inputs, backend: unknown): tf.TensorInfo => {
    const [edges, F] = i.Filter.shape;
    return runProgram(
      backend,
      gradProgram(edges, F, i.edgeWeight !== undefined, which),
      [i.DY, i.Filter, i.Core, i.receiverOf, i.edgeWeight],
      F,
    );
  };

const sum = (i: Inputs, backend: unknown, attrs: Record<string, unknown>): tf.TensorInfo => {
  const F = i.Filter.shape[1];
  const weighted = i.edgeWeight !== undefined;
  return runProgram(
    backend,
    sumProgram(attrs.rows as number, F, weighted),
    [i.Filter, i.Core, i.rowStart, i.edgeOrder, i.edgeWeight],
    F,
  );
};

registerWebGPUKernels<Record<string, unknown>>([
  [SUM, sum],
  [sumKernel(true), sum],
  [FILTER_GRAD, gradKernel('filter')],
  [CORE_GRAD, gradKernel('core')],
]);

/** Inputs the gradient saves; TF.js clones what a gradient saves, so an absent weight needs its own kernel name. */
const SAVED = ['Filter', 'Core', 'receiverOf'] as const;
type SavedInput = (typeof SAVED)[number] | 'edgeWeight';

for (const weighted of [false, true]) {
  const inputNames: SavedInput[] = [...SAVED, ...(weighted ? (['edgeWeight'] as const) : [])];
  registerNamedGradient(sumKernel(weighted), inputNames, (dy, s) => {
    const run = (kernel: string) => () =>
      tf.engine().runKernel(
        kernel,
        named({
          DY: dy as tf.Tensor,
          Filter: s.Filter,
          Core: s.Core,
          receiverOf: s.receiverOf,
          edgeWeight: s.edgeWeight,
        }),
      ) as tf.Tensor;
    return { Filter: run(FILTER_GRAD), Core: run(CORE_GRAD) };
  });
}

/**
 * Σ_{e → i} w_e · σ(f_e) ⊙ softplus(c_e) of f, c [E, F] as one kernel on webgpu (two in the backward pass); null
 * elsewhere, or for shapes outside this case, so the caller composes the ops instead.
 */
export function fusedGatedSum(filter: tf.Tensor2D, core: tf.Tensor2D, flow: FusedFlow): tf.Tensor2D | null {
  if (tf.getBackend() !== 'webgpu' || !flow.rows || filter.rank !== 2 || core.rank !== 2) return null;
  const edges = flow.receiver.shape[0];
  if (filter.shape[0] !== edges || core.shape[0] !== edges || filter.shape[1] !== core.shape[1]) return null;
  const byReceiver = flow.rows.byReceiver();
  const inputs = named({
    Filter: filter,
    Core: core,
    receiverOf: flow.receiver,
    rowStart: byReceiver.rowStart,
    edgeOrder: byReceiver.order,
    edgeWeight: flow.weights,
  });
  return tf.engine().runKernel(sumKernel(flow.weights !== null), inputs, {
    rows: flow.numReceivers,
  } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
