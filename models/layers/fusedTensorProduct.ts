/**
 * The node-wise real Clebsch–Gordan tensor product (clebschGordan.ts `tensorProduct`, SO3Net's self-interaction
 * y + TP(y, M₁y)) as fused WGSL on webgpu (docs/webgpu.md, "Fused kernels"):
 *
 *   TP(a, b)[n, s]  = Σ_{(s₁, s₂ → s, c)} c · a[n, s₁] ⊙ b[n, s₂]        a, b [N, S, F] → [N, S, F]
 *   da[n, s₁]       = Σ_{(s₁, s₂ → s, c)} c · g[n, s] ⊙ b[n, s₂]          g = d(loss)/d TP
 *   db[n, s₂]       = Σ_{(s₁, s₂ → s, c)} c · a[n, s₁] ⊙ g[n, s]
 *
 * Each is one program, one thread per (atom, channel, feature), with the coefficient table unrolled into the shader
 * (fusedCgTerms.ts); the composed form unstacks both inputs, multiplies per coefficient, adds, scales and stacks
 * (about 25 dispatches forward and 40 backward for l_max = 1). Gradients are registered per input, each computed
 * only when needed. The table travels in the kernel's attrs (it is a pure function of l_max, which keys the
 * shaders). Other backends never reach these kernels: `fusedTensorProduct` returns null there.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClebschGordan } from './clebschGordan.js';
import { branches, literal, termsOf, type Term } from './fusedCgTerms.js';
import {
  named,
  program,
  registerNamedGradient,
  registerWebGPUKernels,
  runProgram,
  type Program,
} from './fusedProgram.js';
import { numChannels } from './sphericalHarmonics.js';

/** Which channel of a term a program's output is: the product's s, or a gradient's s₁ or s₂. */
type Key = 's' | 's1' | 's2';

/**
 * out [N, S, F], the sum over the terms whose `key` channel is the output's, of c times the two factors (WGSL of a
 * term's channels; n, f and F are in scope).
 */
function termProgram(
  N: number,
  F: number,
  cg: ClebschGordan,
  key: Key,
  shaderKey: string,
  variableNames: [string, string],
  factors: (t: Term) => [number, number],
): Program {
  const S = numChannels(cg.lmax);
  const [P, Q] = variableNames;
  const body = branches('k', S, (k) =>
    termsOf(cg)
      .filter((t) => t[key] === k)
      .map((t) => {
        const [p, q] = factors(t);
        return `${literal(t.c)} * ${P}[(n * ${S} + ${p}) * F + f] * ${Q}[(n * ${S} + ${q}) * F + f]`;
      }),
  );
  return program(
    [N, S, F],
    `${shaderKey}_${cg.lmax}`,
    variableNames,
    `
          let n = index / (${S} * F);
          let k = (index - n * ${S} * F) / F;
          let f = index - n * ${S} * F - k * F;
          ${body}
          setOutputAtIndex(index, t);`,
  );
}

const PRODUCT = 'CrystalGnnTensorProduct';
const GRAD_A = 'CrystalGnnTensorProductGradA';
const GRAD_B = 'CrystalGnnTensorProductGradB';

/** The kernels' attrs: the coefficient table. */
type TableAttrs = ClebschGordan;
type Inputs = Record<string, tf.TensorInfo>;

const run =
  (key: Key, shaderKey: string, names: [string, string], factors: (t: Term) => [number, number]) =>
  (i: Inputs, backend: unknown, cg: TableAttrs) => {
    const [P, Q] = names;
    const [N, , F] = i[P].shape;
    return runProgram(backend, termProgram(N, F, cg, key, shaderKey, names, factors), [i[P], i[Q]], F);
  };

registerWebGPUKernels<TableAttrs>([
  [PRODUCT, run('s', 'crystalgnn_tensor_product', ['A', 'B'], (t) => [t.s1, t.s2])],
  [GRAD_A, run('s1', 'crystalgnn_tensor_product_da', ['G', 'B'], (t) => [t.s, t.s2])],
  [GRAD_B, run('s2', 'crystalgnn_tensor_product_db', ['A', 'G'], (t) => [t.s1, t.s])],
]);

registerNamedGradient(PRODUCT, ['A', 'B'] as const, (dy, s, attrs) => {
  const G = dy as tf.Tensor;
  const grad = (kernel: string, inputs: Partial<Record<string, tf.Tensor>>) => () =>
    tf.engine().runKernel(kernel, named(inputs), attrs) as tf.Tensor;
  return { A: grad(GRAD_A, { G, B: s.B }), B: grad(GRAD_B, { A: s.A, G }) };
});

/** TP(a, b) for a, b [N, S, F] as one kernel on webgpu; null elsewhere, where the caller composes the ops. */
export function fusedTensorProduct(a: tf.Tensor3D, b: tf.Tensor3D, cg: ClebschGordan): tf.Tensor3D | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const S = numChannels(cg.lmax);
  const shapesFit = a.rank === 3 && b.rank === 3 && a.shape.every((d, k) => d === b.shape[k]) && a.shape[1] === S;
  if (!shapesFit || a.size === 0) return null;
  const { lmax, s1, s2, s, c } = cg;
  return tf.engine().runKernel(PRODUCT, { A: a, B: b }, {
    lmax,
    s1,
    s2,
    s,
    c,
  } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}
