/**
 * TF.js backend selection, once per process (docs/backends.md, "one backend module").
 *
 * `auto` takes the first that loads of: `@tensorflow/tfjs-node-gpu` (CUDA), WebGPU on a hardware adapter
 * (`webgpu.ts`: Dawn on Vulkan, NVIDIA/AMD drivers), `@tensorflow/tfjs-node`, the wasm backend (SIMD, one thread:
 * docs/backends.md measured it ~16x faster than `cpu` for training), then `cpu`. A software WebGPU adapter (Mesa's
 * lavapipe, SwiftShader) is used only when `webgpu` is asked for by name: it is for correctness checks, not speed.
 * The two node packages are optional and imported dynamically, so the project builds without them.
 * Model code never branches on the backend: the custom gradients in `models/layers/ops.ts` run everywhere.
 * Calling `initBackend` again is cheap: packages load once, and an already active backend is kept.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../data/errors.js';
import { describeAdapter, setupWebGPU, type AdapterDescription } from './webgpu.js';

export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  name: 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  description: string;
  /** The WebGPU adapter (vendor, architecture, limits) when `name` is webgpu. */
  adapter?: AdapterDescription;
}

const TFJS_NODE_HINT =
  'install `npm install @tensorflow/tfjs-node-gpu` (CUDA 11.2 / cuDNN 8.1, libtensorflow 2.9) or `npm install @tensorflow/tfjs-node`';

let nodePackage: Promise<'tensorflow-gpu' | 'tensorflow' | null> | null = null;
let wasmLoaded: Promise<boolean> | null = null;
let active: BackendInfo | null = null;
let webgpuAdapter: AdapterDescription | null = null;

/** Imports the first TensorFlow C binding that loads; a variable module name keeps tsc from resolving it. */
function loadNodePackage(): Promise<'tensorflow-gpu' | 'tensorflow' | null> {
  nodePackage ??= (async () => {
    const candidates: Array<[string, 'tensorflow-gpu' | 'tensorflow']> = [
      ['@tensorflow/tfjs-node-gpu', 'tensorflow-gpu'],
      ['@tensorflow/tfjs-node', 'tensorflow'],
    ];
    for (const [pkg, name] of candidates) {
      try {
        await import(pkg);
        if (tf.findBackend('tensorflow') || tf.findBackendFactory('tensorflow')) return name;
      } catch {
        // not installed, or libtensorflow/CUDA missing: try the next one
      }
    }
    return null;
  })();
  return nodePackage;
}

/**
 * Zero-copy `Identity` and same-dtype `Cast` for wasm. The engine clones every tensor it saves for the backward
 * pass through `Identity`, and Multiply's gradient casts both operands to float32 even when they already are; the
 * stock wasm kernels copy the whole buffer each time (an [E, F] memcpy per saved activation was ~1/3 of a SchNet
 * training step). Tensors are immutable and the wasm backend reference-counts its buffers, so sharing the buffer is
 * what the cpu backend already does. A Cast to another dtype still converts.
 */
function registerZeroCopyKernels(): void {
  type WasmBackend = { incRef(dataId: tf.DataId): void };
  const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    (backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => share(inputs.x as tf.TensorInfo, backend),
  });
  const convert = tf.getKernel('Cast', 'wasm')!.kernelFunc;
  tf.unregisterKernel('Cast', 'wasm');
  tf.registerKernel({
    kernelName: 'Cast',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      return (args.attrs as { dtype: tf.DataType }).dtype === x.dtype ? share(x, args.backend) : convert(args);
    },
  });
}

/** Registers the wasm backend with its binaries located next to the package's entry point. */
function loadWasm(): Promise<boolean> {
  wasmLoaded ??= (async () => {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(`${dir}/`);
      registerZeroCopyKernels();
      return true;
    } catch {
      return false;
    }
  })();
  return wasmLoaded;
}

async function activate(name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'): Promise<boolean> {
  if (tf.getBackend() === name && active) return true;
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    // The cpu backend prints a banner recommending tfjs-node on its first tensor; we already chose, and say so.
    if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function describe(name: BackendInfo['name']): Promise<BackendInfo> {
  const version = `tfjs ${tf.version.tfjs}`;
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return {
      name,
      description: `wasm (${version}, SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi' : 'single'}-threaded)`,
    };
  }
  if (name === 'webgpu') {
    const adapter = webgpuAdapter ?? undefined;
    return {
      name,
      description: `webgpu (${version}, Dawn on ${adapter ? describeAdapter(adapter) : 'an unknown adapter'})`,
      adapter,
    };
  }
  if (name === 'cpu')
    return { name, description: `cpu (${version}, pure JavaScript: slow, for tests and tiny inputs)` };
  return {
    name,
    description: `${name === 'tensorflow-gpu' ? 'TensorFlow C library with CUDA' : 'TensorFlow C library'} (${version})`,
  };
}

/**
 * Whether the machine shows a GPU to user space (NVIDIA's or a DRM render node, AMD's compute node). `auto` asks
 * Dawn for an adapter only then: on a CPU-only host Dawn finds at most a software adapter, which `auto` would not
 * use, and it writes driver warnings to stderr while looking.
 */
function gpuDeviceNodes(): boolean {
  if (existsSync('/dev/nvidiactl') || existsSync('/dev/kfd')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * Activates a backend and describes it. `tensorflow` needs one of the node packages (else an InputError with
 * the install hint); `wasm` and `cpu` always work here; `auto` picks the fastest available.
 */
export async function initBackend(name: BackendName = 'auto'): Promise<BackendInfo> {
  let chosen: BackendInfo['name'] | null = null;
  const pkg = name === 'tensorflow' || name === 'auto' ? await loadNodePackage() : null;
  if (pkg === 'tensorflow-gpu' && (await activate('tensorflow'))) chosen = pkg;
  if (!chosen && (name === 'webgpu' || (name === 'auto' && gpuDeviceNodes()))) {
    const gpu = await setupWebGPU(name === 'webgpu');
    if (gpu.ok && (await activate('webgpu'))) {
      webgpuAdapter = gpu.setup.adapter;
      chosen = 'webgpu';
    } else if (name === 'webgpu') {
      throw new InputError(
        `backend "webgpu": ${gpu.ok ? 'the TF.js WebGPU backend failed to initialise on the adapter' : gpu.reason}`,
      );
    }
  }
  if (!chosen && pkg === 'tensorflow' && (await activate('tensorflow'))) chosen = pkg;
  if (!chosen && name === 'tensorflow')
    throw new InputError(
      `backend "tensorflow": neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads; ${TFJS_NODE_HINT}`,
    );
  if (!chosen && (name === 'wasm' || name === 'auto')) {
    if ((await loadWasm()) && (await activate('wasm'))) chosen = 'wasm';
    else if (name === 'wasm')
      throw new InputError('backend "wasm": @tensorflow/tfjs-backend-wasm failed to load or initialise');
  }
  if (!chosen) {
    if (!(await activate('cpu'))) throw new Error('the TF.js cpu backend failed to initialise');
    chosen = 'cpu';
  }
  if (active?.name !== chosen) active = await describe(chosen);
  return active;
}

/** The backend chosen by the last `initBackend` call, or null before the first one. */
export function activeBackend(): BackendInfo | null {
  return active;
}
