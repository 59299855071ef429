/**
 * What every fused WGSL kernel shares (fused.ts, fusedDense.ts, fusedPainn.ts, fusedSo3.ts, train/fusedAdam.ts;
 * docs/webgpu.md, "Fused kernels"): the program type tfjs-backend-webgpu runs, the runner, and the flat
 * one-thread-per-output-element program.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-webgpu's WebGPUProgram that our programs set (backend_webgpu.ts runWebGPUProgram). */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  /** WGSL declarations of program-defined uniforms (`name : type,` each), passed at run time. */
  uniforms?: string;
  getUserCode(): string;
}

/** A program-defined uniform's value, in the order of `Program.uniforms`. */
export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

interface WebGPUKernelBackend {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: Uniform[]): tf.TensorInfo;
}

/** Runs `program` on the webgpu backend a kernel function was given. */
export function runWebGPUProgram(
  backend: unknown,
  program: Program,
  inputs: tf.TensorInfo[],
  uniforms?: Uniform[],
): tf.TensorInfo {
  return (backend as WebGPUKernelBackend).runWebGPUProgram(program, inputs, 'float32', uniforms);
}

const WORKGROUP = 64;

/** One thread per output element, `index` the flat output index; `uniforms` declares program-defined uniforms. */
export function flatProgram(
  outputShape: number[],
  shaderKey: string,
  variableNames: string[],
  body: string,
  uniforms?: string,
): Program {
  return {
    outputShape,
    shaderKey,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    ...(uniforms === undefined ? {} : { uniforms }),
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** `p` with WGSL helper functions (activations) defined before its `main`. */
export function withHelpers(p: Program, helpers: string): Program {
  const main = p.getUserCode();
  return { ...p, getUserCode: () => `${helpers}\n${main}` };
}

/** A flat program whose feature count `F` is a uniform (the fused message kernels). */
export function program(outputShape: number[], shaderKey: string, variableNames: string[], body: string): Program {
  return flatProgram(outputShape, shaderKey, variableNames, `let F = uniforms.features;\n${body}`, 'features : i32,');
}

export const weightOf = (weighted: boolean) => (weighted ? ' * edgeWeight[e]' : '');

/** Runs `p` with the present inputs (an absent edge weight is undefined) and F as its uniform. */
export function runProgram(
  backend: unknown,
  p: Program,
  inputs: (tf.TensorInfo | undefined)[],
  features: number,
): tf.TensorInfo {
  const present = inputs.filter((t): t is tf.TensorInfo => t !== undefined);
  return runWebGPUProgram(backend, p, present, [{ type: 'int32', data: [features] }]);
}

/** The non-null entries as a kernel's named inputs. */
export function named(values: Partial<Record<string, tf.Tensor | null>>): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(values)) if (v) out[k] = v;
  return out;
}

/** A webgpu kernel function over named inputs and its attributes. */
export type WebGPUKernel<A> = (
  inputs: Record<string, tf.TensorInfo>,
  backend: unknown,
  attrs: A,
) => tf.TensorInfo | tf.TensorInfo[];

/** Registers each [kernel name, function] for the webgpu backend only. */
export function registerWebGPUKernels<A>(kernels: [string, WebGPUKernel<A>][]): void {
  for (const [kernelName, func] of kernels) {
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, backend, attrs }) =>
        func(inputs as Record<string, tf.TensorInfo>, backend, (attrs ?? {}) as unknown as A),
    });
  }
}

/**
 * Registers the gradient of a kernel that saves all its inputs (`inputNames`, in order), handing them to `gradFunc`
 * by name. Each returned entry is computed only when TF.js needs that input's gradient.
 */
export function registerNamedGradient<N extends string>(
  kernelName: string,
  inputNames: readonly N[],
  gradFunc: (
    dy: tf.Tensor | tf.Tensor[],
    saved: Partial<Record<N, tf.Tensor>>,
    attrs: tf.NamedAttrMap,
  ) => Record<string, () => tf.Tensor>,
): void {
  tf.registerGradient({
    kernelName,
    inputsToSave: [...inputNames],
    gradFunc: (dy, saved, attrs) =>
      gradFunc(
        dy,
        Object.fromEntries(inputNames.map((name, k) => [name, saved[k]])) as Partial<Record<N, tf.Tensor>>,
        attrs,
      ),
  });
}
