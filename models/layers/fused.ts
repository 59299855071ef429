/**
 * Fused message-passing kernels for the webgpu backend (docs/webgpu.md, "Fused kernels"). A training step on a GPU
 * at OBELiX's size is mostly kernel dispatches, so the continuous-filter convolution
 *
 *   out_i = Σ_{e: receiver_e = i} w_e · x[sender_e] ⊙ W_e          x [N, F], W [E, F], w [E] (or all 1)
 *
 * runs as one WGSL program instead of gather, multiply, weigh and scatter (and its backward as two instead of
 * about eight). The sum is a deterministic segment sum over the edges grouped by receiver (`edgeRows`, built once
 * per batch on the host): one thread per (receiver, feature) walks its receiver's edges in ascending edge id, so
 * there are no float atomics and the result does not depend on scheduling. Gradients (tf.customGrad):
 *
 *   dx_j = Σ_{e: sender_e = j} w_e · dout[receiver_e] ⊙ W_e         the same program over the edges grouped by sender
 *   dW_e = w_e · dout[receiver_e] ⊙ x[sender_e]                     one elementwise program over the edges
 *
 * Other backends never reach this module's kernels: `fusedConvolve` returns null there and the caller composes the
 * ops as before (bit-for-bit).
 */
import * as tf from '@tensorflow/tfjs';
import type { EdgeRows } from '../../graph/batch.js';
import { flatProgram, runWebGPUProgram, type Program } from './fusedProgram.js';

/** What a fused edge kernel needs to know about the flow (models/layers/flow.ts). */
export interface FusedFlow {
  sender: tf.Tensor1D;
  receiver: tf.Tensor1D;
  numReceivers: number;
  weights: tf.Tensor1D | null;
  /** Edges grouped by receiver and by sender; null when the flow has no host copy of its indices. */
  rows: { byReceiver: () => EdgeRows; bySender: () => EdgeRows } | null;
}

/** A flat program over an [rows, F] output, with `row`, `f` and `F` from the output index. */
function rowProgram(outputShape: number[], shaderKey: string, variableNames: string[], body: string): Program {
  return flatProgram(
    outputShape,
    shaderKey,
    variableNames,
    `let F = uniforms.outShape[1];
          let row = index / F;
          let f = index - row * F;
          ${body}`,
  );
}

/** out[r, f] = Σ_{k ∈ [rowStart_r, rowStart_{r+1})} (X[gatherRow_e, f] · W[e, f]) · w_e with e = order_k. */
function segmentProgram(rows: number, features: number, weighted: boolean): Program {
  const names = ['X', 'W', 'rowStart', 'edgeOrder', 'gatherRow', ...(weighted ? ['edgeWeight'] : [])];
  return rowProgram(
    [rows, features],
    `crystalgnn_segment_convolve_${weighted}`,
    names,
    `
          var acc = 0.0;
          for (var k = rowStart[row]; k < rowStart[row + 1]; k = k + 1) {
            let e = edgeOrder[k];
            acc = acc + X[gatherRow[e] * F + f] * W[e * F + f]${weighted ? ' * edgeWeight[e]' : ''};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** out[e, f] = (D[receiver_e, f] · X[sender_e, f]) · w_e. */
function edgeProductProgram(edges: number, features: number, weighted: boolean): Program {
  const names = ['D', 'X', 'receiverOf', 'senderOf', ...(weighted ? ['edgeWeight'] : [])];
  return rowProgram(
    [edges, features],
    `crystalgnn_edge_product_${weighted}`,
    names,
    `
          let e = row;
          setOutputAtIndex(index, D[receiverOf[e] * F + f] * X[senderOf[e] * F + f]${weighted ? ' * edgeWeight[e]' : ''});`,
  );
}

const SEGMENT_CONVOLVE = 'CrystalGnnSegmentConvolve';
const EDGE_PRODUCT = 'CrystalGnnEdgeProduct';

tf.registerKernel({
  kernelName: SEGMENT_CONVOLVE,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { X, W, rowStart, edgeOrder, gatherRow, edgeWeight: weight } = inputs as Record<string, tf.TensorInfo>;
    const program = segmentProgram(attrs!.rows as number, X.shape[1], weight !== undefined);
    return runWebGPUProgram(backend, program, [X, W, rowStart, edgeOrder, gatherRow, ...(weight ? [weight] : [])]);
  },
});

tf.registerKernel({
  kernelName: EDGE_PRODUCT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { D, X, receiverOf, senderOf, edgeWeight: weight } = inputs as Record<string, tf.TensorInfo>;
    const program = edgeProductProgram(receiverOf.shape[0], X.shape[1], weight !== undefined);
    return runWebGPUProgram(backend, program, [D, X, receiverOf, senderOf, ...(weight ? [weight] : [])]);
  },
});

function run(
  kernel: string,
  inputs: Record<string, tf.Tensor | null>,
  attrs: Record<string, number> = {},
): tf.Tensor2D {
  const named: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) if (v) named[k] = v;
  return tf.engine().runKernel(kernel, named, attrs) as tf.Tensor2D;
}

/**
 * Σ_{e → i} w_e · x[sender_e] ⊙ W_e as one kernel (two in the backward pass) on webgpu; null elsewhere, or when
 * the shapes are not the plain [N, F] × [E, F] case, so the caller composes the ops instead.
 */
export function fusedConvolve(x: tf.Tensor2D, filters: tf.Tensor, flow: FusedFlow): tf.Tensor2D | null {
  if (tf.getBackend() !== 'webgpu' || !flow.rows || x.rank !== 2 || filters.rank !== 2) return null;
  const [numSenders, features] = x.shape;
  if (filters.shape[0] !== flow.sender.shape[0] || filters.shape[1] !== features) return null;
  const byReceiver = flow.rows.byReceiver();
  const bySender = flow.rows.bySender();
  const { sender, receiver, weights, numReceivers } = flow;
  const f = tf.customGrad(((xIn: tf.Tensor2D, wIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([xIn, wIn]);
    const value = run(
      SEGMENT_CONVOLVE,
      {
        X: xIn,
        W: wIn,
        rowStart: byReceiver.rowStart,
        edgeOrder: byReceiver.order,
        gatherRow: sender,
        edgeWeight: weights,
      },
      { rows: numReceivers },
    );
    const gradFunc = (dy: tf.Tensor2D, [xs, ws]: tf.Tensor[]) => [
      run(
        SEGMENT_CONVOLVE,
        {
          X: dy,
          W: ws,
          rowStart: bySender.rowStart,
          edgeOrder: bySender.order,
          gatherRow: receiver,
          edgeWeight: weights,
        },
        { rows: numSenders },
      ),
      run(EDGE_PRODUCT, { D: dy, X: xs, receiverOf: receiver, senderOf: sender, edgeWeight: weights }),
    ];
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, filters as tf.Tensor2D) as tf.Tensor2D;
}
