/**
 * The WGSL program shape shared by the fused message kernels (fusedPainn.ts, fusedSo3.ts; docs/webgpu.md, "Fused
 * kernels"): one thread per output element, flat dispatch, the feature count F as a uniform.
 */
import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-webgpu's WebGPUProgram that these programs set (backend_webgpu.ts runWebGPUProgram). */
export interface Program {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}
interface WebGPUKernelBackend {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: { type: 'int32'; data: number[] }[],
  ): tf.TensorInfo;
}

const WORKGROUP = 64;

/** One thread per output element; `F` (features) is a uniform, `index` the flat output index. */
export function program(outputShape: number[], shaderKey: string, variableNames: string[], body: string): Program {
  return {
    outputShape,
    shaderKey,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: 'features : i32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let F = uniforms.features;
          ${body}
        }
      }`,
  };
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
  return (backend as WebGPUKernelBackend).runWebGPUProgram(p, present, 'float32', [
    { type: 'int32', data: [features] },
  ]);
}

/** The non-null entries as a kernel's named inputs. */
export function named(values: Partial<Record<string, tf.Tensor | null>>): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(values)) if (v) out[k] = v;
  return out;
}
