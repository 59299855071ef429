/**
 * PaiNN's equivariant message (Schütt, Unke, Gastegger 2021, eq. 7-8; docs/architectures.md §4) as fused WGSL on
 * webgpu (docs/webgpu.md, "Fused kernels"). With the context c = MLP(q) [N, 3F] and the filters Φ [E, 3F] split in
 * three F-wide parts (s, R, μ), the messages summed at each receiver i, weighted by w_e (the sender's occupancy):
 *
 *   Δq_i    = Σ_{e → i} w_e · Φˢ_e ⊙ cˢ_j                                   [N, F]
 *   Δμ_i,x  = Σ_{e → i} w_e · (Φᴿ_e ⊙ cᴿ_j · u_e,x + Φᵘ_e ⊙ cᵘ_j ⊙ μ_j,x)    [N, 3, F],  j = sender_e
 *
 * Forward: one kernel, two programs (one thread per (receiver, feature) or (receiver, axis, feature), each walking
 * its receiver's edges in ascending edge id: a deterministic segment sum, no float atomics). Backward, with
 * g = dΔq[receiver_e], h_x = dΔμ[receiver_e, x]:
 *
 *   dc_j = Σ_{e: sender_e = j} w_e · [Φˢ ⊙ g | Φᴿ ⊙ Σ_x h_x u_e,x | Φᵘ ⊙ Σ_x h_x ⊙ μ_j,x]    sender-grouped segment sum
 *   dμ_j,x = cᵘ_j ⊙ Σ_{e: sender_e = j} w_e · Φᵘ_e ⊙ h_x                                     sender-grouped segment sum
 *   dΦ_e = w_e · [cˢ_j ⊙ g | cᴿ_j ⊙ Σ_x h_x u_e,x | cᵘ_j ⊙ Σ_x h_x ⊙ μ_j,x]                  elementwise per edge
 *   du_e,x = w_e · Σ_f Φᴿ_e,f cᴿ_j,f h_x,f                                                  per edge, a sum over F
 *
 * The gradient is registered per input (tf.registerGradient), so TF.js runs only the programs whose input is on the
 * path to the loss: u (fixed geometry) and the first block's μ = 0 cost nothing. Other backends never reach these
 * kernels: `fusedPainnMessage` returns null there and EdgeFlow composes the ops as before (bit-for-bit).
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedFlow } from './fused.js';
import {
  named,
  program,
  registerNamedGradient,
  registerWebGPUKernels,
  runProgram,
  weightOf,
  type Program,
} from './fusedProgram.js';

/** Δq [rows, F]: Σ over the receiver's edges of Φˢ_e ⊙ cˢ_sender · w_e. */
function scalarMessage(rows: number, F: number, weighted: boolean): Program {
  return program(
    [rows, F],
    `crystalgnn_painn_scalar_${weighted}`,
    ['C', 'W', 'rowStart', 'edgeOrder', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let row = index / F;
          let f = index - row * F;
          var acc = 0.0;
          for (var k = rowStart[row]; k < rowStart[row + 1]; k = k + 1) {
            let e = edgeOrder[k];
            acc = acc + W[e * 3 * F + f] * C[senderOf[e] * 3 * F + f]${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** Δμ [rows, 3, F]: Σ over the receiver's edges of (Φᴿ ⊙ cᴿ · u_x + Φᵘ ⊙ cᵘ ⊙ μ_x) · w_e. */
function vectorMessage(rows: number, F: number, weighted: boolean): Program {
  return program(
    [rows, 3, F],
    `crystalgnn_painn_vector_${weighted}`,
    ['C', 'W', 'M', 'U', 'rowStart', 'edgeOrder', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let row = index / (3 * F);
          let x = (index - row * 3 * F) / F;
          let f = index - row * 3 * F - x * F;
          var acc = 0.0;
          for (var k = rowStart[row]; k < rowStart[row + 1]; k = k + 1) {
            let e = edgeOrder[k];
            let j = senderOf[e];
            let radial = W[e * 3 * F + F + f] * C[j * 3 * F + F + f] * U[e * 3 + x];
            let vector = W[e * 3 * F + 2 * F + f] * C[j * 3 * F + 2 * F + f] * M[(j * 3 + x) * F + f];
            acc = acc + (radial + vector)${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** dc [senders, 3F] over the sender-grouped edges. */
function contextGrad(rows: number, F: number, weighted: boolean): Program {
  return program(
    [rows, 3 * F],
    `crystalgnn_painn_dcontext_${weighted}`,
    ['G', 'H', 'W', 'M', 'U', 'rowStart', 'edgeOrder', 'receiverOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let j = index / (3 * F);
          let k3 = index - j * 3 * F;
          let part = k3 / F;
          let f = k3 - part * F;
          var acc = 0.0;
          for (var k = rowStart[j]; k < rowStart[j + 1]; k = k + 1) {
            let e = edgeOrder[k];
            let i = receiverOf[e];
            var d = 0.0;
            if (part == 0) {
              d = G[i * F + f];
            } else if (part == 1) {
              d = H[(i * 3) * F + f] * U[e * 3] + H[(i * 3 + 1) * F + f] * U[e * 3 + 1] + H[(i * 3 + 2) * F + f] * U[e * 3 + 2];
            } else {
              d = H[(i * 3) * F + f] * M[(j * 3) * F + f] + H[(i * 3 + 1) * F + f] * M[(j * 3 + 1) * F + f] + H[(i * 3 + 2) * F + f] * M[(j * 3 + 2) * F + f];
            }
            acc = acc + W[e * 3 * F + k3] * d${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc);`,
  );
}

/** dμ [senders, 3, F] over the sender-grouped edges. */
function vectorGrad(rows: number, F: number, weighted: boolean): Program {
  return program(
    [rows, 3, F],
    `crystalgnn_painn_dmu_${weighted}`,
    ['H', 'W', 'C', 'rowStart', 'edgeOrder', 'receiverOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let j = index / (3 * F);
          let x = (index - j * 3 * F) / F;
          let f = index - j * 3 * F - x * F;
          var acc = 0.0;
          for (var k = rowStart[j]; k < rowStart[j + 1]; k = k + 1) {
            let e = edgeOrder[k];
            acc = acc + W[e * 3 * F + 2 * F + f] * H[(receiverOf[e] * 3 + x) * F + f]${weightOf(weighted)};
          }
          setOutputAtIndex(index, acc * C[j * 3 * F + 2 * F + f]);`,
  );
}

/** dΦ [E, 3F], one thread per (edge, feature). */
function filterGrad(edges: number, F: number, weighted: boolean): Program {
  return program(
    [edges, 3 * F],
    `crystalgnn_painn_dfilter_${weighted}`,
    ['G', 'H', 'C', 'M', 'U', 'receiverOf', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let e = index / (3 * F);
          let k3 = index - e * 3 * F;
          let part = k3 / F;
          let f = k3 - part * F;
          let i = receiverOf[e];
          let j = senderOf[e];
          var d = 0.0;
          if (part == 0) {
            d = G[i * F + f];
          } else if (part == 1) {
            d = H[(i * 3) * F + f] * U[e * 3] + H[(i * 3 + 1) * F + f] * U[e * 3 + 1] + H[(i * 3 + 2) * F + f] * U[e * 3 + 2];
          } else {
            d = H[(i * 3) * F + f] * M[(j * 3) * F + f] + H[(i * 3 + 1) * F + f] * M[(j * 3 + 1) * F + f] + H[(i * 3 + 2) * F + f] * M[(j * 3 + 2) * F + f];
          }
          setOutputAtIndex(index, C[j * 3 * F + k3] * d${weightOf(weighted)});`,
  );
}

/** du [E, 3], one thread per (edge, axis) summing over the F features. */
function directionGrad(edges: number, _F: number, weighted: boolean): Program {
  return program(
    [edges, 3],
    `crystalgnn_painn_ddirection_${weighted}`,
    ['H', 'W', 'C', 'receiverOf', 'senderOf', ...(weighted ? ['edgeWeight'] : [])],
    `
          let e = index / 3;
          let x = index - e * 3;
          let i = receiverOf[e];
          let j = senderOf[e];
          var acc = 0.0;
          for (var f = 0; f < F; f = f + 1) {
            acc = acc + W[e * 3 * F + F + f] * C[j * 3 * F + F + f] * H[(i * 3 + x) * F + f];
          }
          setOutputAtIndex(index, acc${weightOf(weighted)});`,
  );
}

const MESSAGE = 'CrystalGnnPainnMessage';
const messageKernel = (weighted: boolean) => (weighted ? `${MESSAGE}Weighted` : MESSAGE);
const CONTEXT_GRAD = 'CrystalGnnPainnContextGrad';
const VECTOR_GRAD = 'CrystalGnnPainnVectorGrad';
const FILTER_GRAD = 'CrystalGnnPainnFilterGrad';
const DIRECTION_GRAD = 'CrystalGnnPainnDirectionGrad';

type Inputs = Record<string, tf.TensorInfo>;

/** Features F of the context C [N, 3F]. */
const featuresOf = (C: tf.TensorInfo) => C.shape[1] / 3;

const kernels: [
  string,
  (inputs: Inputs, backend: unknown, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
][] = [
  [
    MESSAGE,
    (i, b, a) => {
      const F = featuresOf(i.C);
      const w = i.edgeWeight !== undefined;
      const rows = a.rows as number;
      return [
        runProgram(
          b,
          scalarMessage(rows, F, w),
          [i.C, i.W, i.receiverStart, i.receiverOrder, i.senderOf, i.edgeWeight],
          F,
        ),
        runProgram(
          b,
          vectorMessage(rows, F, w),
          [i.C, i.W, i.M, i.U, i.receiverStart, i.receiverOrder, i.senderOf, i.edgeWeight],
          F,
        ),
      ];
    },
  ],
  [
    CONTEXT_GRAD,
    (i, b) => {
      const F = featuresOf(i.C);
      return runProgram(
        b,
        contextGrad(i.C.shape[0], F, i.edgeWeight !== undefined),
        [i.G, i.H, i.W, i.M, i.U, i.senderStart, i.senderOrder, i.receiverOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    VECTOR_GRAD,
    (i, b) => {
      const F = featuresOf(i.C);
      return runProgram(
        b,
        vectorGrad(i.C.shape[0], F, i.edgeWeight !== undefined),
        [i.H, i.W, i.C, i.senderStart, i.senderOrder, i.receiverOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    FILTER_GRAD,
    (i, b) => {
      const F = featuresOf(i.C);
      return runProgram(
        b,
        filterGrad(i.W.shape[0], F, i.edgeWeight !== undefined),
        [i.G, i.H, i.C, i.M, i.U, i.receiverOf, i.senderOf, i.edgeWeight],
        F,
      );
    },
  ],
  [
    DIRECTION_GRAD,
    (i, b) => {
      const F = featuresOf(i.C);
      return runProgram(
        b,
        directionGrad(i.W.shape[0], F, i.edgeWeight !== undefined),
        [i.H, i.W, i.C, i.receiverOf, i.senderOf, i.edgeWeight],
        F,
      );
    },
  ],
];
kernels.push([messageKernel(true), kernels[0][1]]);
registerWebGPUKernels(kernels);

/** Inputs of the message kernel; TF.js clones what a gradient saves, so an absent weight needs its own kernel name. */
const MESSAGE_INPUTS = [
  'C',
  'W',
  'M',
  'U',
  'senderOf',
  'receiverOf',
  'receiverStart',
  'receiverOrder',
  'senderStart',
  'senderOrder',
] as const;
type MessageInput = (typeof MESSAGE_INPUTS)[number] | 'edgeWeight';

for (const weighted of [false, true]) {
  const inputNames: MessageInput[] = [...MESSAGE_INPUTS, ...(weighted ? (['edgeWeight'] as const) : [])];
  registerNamedGradient(messageKernel(weighted), inputNames, (dy, s) => {
    const [G, H] = dy as tf.Tensor[];
    const common = { C: s.C, W: s.W, receiverOf: s.receiverOf, edgeWeight: s.edgeWeight };
    const run = (kernel: string, inputs: Partial<Record<string, tf.Tensor>>) => () =>
      tf.engine().runKernel(kernel, named({ ...common, ...inputs })) as tf.Tensor;
    return {
      C: run(CONTEXT_GRAD, { G, H, M: s.M, U: s.U, senderStart: s.senderStart, senderOrder: s.senderOrder }),
      M: run(VECTOR_GRAD, { H, senderStart: s.senderStart, senderOrder: s.senderOrder }),
      W: run(FILTER_GRAD, { G, H, M: s.M, U: s.U, senderOf: s.senderOf }),
      U: run(DIRECTION_GRAD, { H, senderOf: s.senderOf }),
    };
  });
}

/**
 * PaiNN's message sums (Δq [N, F], Δμ [N, 3, F]) from the context c [N, 3F], filters Φ [E, 3F], vectors μ [N, 3, F]
 * and unit vectors u [E, 3] as one kernel on webgpu; null elsewhere, or for shapes outside this case, so the caller
 * composes the ops instead.
 */
export function fusedPainnMessage(
  context: tf.Tensor2D,
  filters: tf.Tensor2D,
  mu: tf.Tensor3D,
  u: tf.Tensor2D,
  flow: FusedFlow,
): { scalar: tf.Tensor2D; vector: tf.Tensor3D } | null {
  if (tf.getBackend() !== 'webgpu' || !flow.rows) return null;
  const edges = flow.sender.shape[0];
  const [senders, threeF] = context.shape;
  const F = threeF / 3;
  const shapesFit =
    context.rank === 2 &&
    filters.rank === 2 &&
    mu.rank === 3 &&
    u.rank === 2 &&
    threeF % 3 === 0 &&
    filters.shape[0] === edges &&
    filters.shape[1] === threeF &&
    mu.shape[0] === senders &&
    mu.shape[1] === 3 &&
    mu.shape[2] === F &&
    u.shape[0] === edges &&
    u.shape[1] === 3;
  if (!shapesFit) return null;
  const byReceiver = flow.rows.byReceiver();
  const bySender = flow.rows.bySender();
  const inputs: Record<MessageInput, tf.Tensor | null> = {
    C: context,
    W: filters,
    M: mu,
    U: u,
    senderOf: flow.sender,
    receiverOf: flow.receiver,
    receiverStart: byReceiver.rowStart,
    receiverOrder: byReceiver.order,
    senderStart: bySender.rowStart,
    senderOrder: bySender.order,
    edgeWeight: flow.weights,
  };
  const [scalar, vector] = tf.engine().runKernel(messageKernel(flow.weights !== null), named(inputs), {
    rows: flow.numReceivers,
  } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { scalar: scalar as tf.Tensor2D, vector: vector as tf.Tensor3D };
}
