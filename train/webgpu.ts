/**
 * The WebGPU backend on Dawn's Node binding (`webgpu` package): adapter and device made here with the adapter's
 * own limits, a `WebGPUBackend` registered on that device, and the guards TF.js's backend lacks in Node:
 * - Device errors (`uncapturederror`, device lost) are recorded and every later host read or `checkDevice` throws a
 *   `DeviceError`: a run stops instead of continuing on numbers computed after the device failed.
 * - A tensor larger than the device's `maxStorageBufferBindingSize` is refused when its buffer is requested (Dawn
 *   computes it silently wrong otherwise: PaiNN's [85070, 480] filter gave a loss of 0.031 instead of 11.3).
 * - GPU memory stays flat: the stock buffer manager pools freed buffers by exact byte size and never releases
 *   them, so batches of varying shape grow the pool without bound. `PooledBufferManager` rounds sizes up to a few
 *   buckets per power of two, hands a request the smallest pooled buffer of up to twice its size, and destroys freed
 *   buffers only beyond a free-bytes budget (twice the working set's high-water mark), which training does not reach:
 *   after its largest batch a run makes no new buffer and destroys none (lavapipe keeps a destroyed buffer's memory).
 * Dawn uses Vulkan on Linux (NVIDIA/AMD drivers, or Mesa's software lavapipe) and wants `XDG_RUNTIME_DIR` set.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DeviceError } from '../data/errors.js';

/** The adapter's limits that bound what a run can allocate and bind. */
const LIMIT_KEYS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
] as const;
export type WebGPULimits = Record<(typeof LIMIT_KEYS)[number], number>;

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (lavapipe, SwiftShader): Dawn reports it as a fallback adapter. */
  software: boolean;
  limits: WebGPULimits;
}

/** One line naming the adapter and the limits that matter for training. */
export function describeAdapter(a: AdapterDescription): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || 'unknown adapter';
  return (
    `${name}${a.software ? ' (software)' : ''}${a.description ? `, "${a.description}"` : ''}; limits: storage binding ${mib(a.limits.maxStorageBufferBindingSize)}, ` +
    `buffer ${mib(a.limits.maxBufferSize)}, ${a.limits.maxStorageBuffersPerShaderStage} storage buffers per stage, ` +
    `workgroup ${a.limits.maxComputeInvocationsPerWorkgroup} invocations / ${a.limits.maxComputeWorkgroupStorageSize} B shared`
  );
}

const BUCKETS_PER_OCTAVE = 4;
/**
 * The pool keeps freed buffers up to this multiple of the peak bytes in use before it destroys any. Generous on
 * purpose: Mesa's lavapipe never gives a destroyed buffer's memory back (docs/webgpu.md, memory on lavapipe), so
 * destroying and re-creating at other sizes only grows the process; with reuse of buffers up to twice the request a
 * training run stops allocating once it has seen its largest batch, and nothing is destroyed.
 */
const POOL_SHARE_OF_PEAK = 2;
/** Requests below this take only a pooled buffer of their own bucket (Dawn sub-allocates small buffers itself). */
const SMALLEST_SHARED = 2 ** 20;
const SMALLEST_BUCKETED = 4096;

/** Byte size a request is rounded up to: 2^k·(1 + j/4), never above `cap` when the request itself is not. */
export function bucketSize(size: number, cap = Infinity): number {
  // never 0: an empty tensor bound with a zero-size buffer is a validation error
  if (size <= SMALLEST_BUCKETED) return Math.max(16, Math.ceil(size / 16) * 16);
  const octave = 2 ** Math.floor(Math.log2(size));
  const step = octave / BUCKETS_PER_OCTAVE;
  const rounded = Math.ceil(size / step) * step;
  return rounded > cap && size <= cap ? Math.ceil(size / 16) * 16 : rounded;
}

/**
 * Drop-in for the backend's `BufferManager` (same fields and methods). Freed buffers are pooled by bucket and
 * usage; a request takes the smallest pooled buffer that fits and is at most twice its bucket; a release that would
 * take the pool above `max(freeFloor, POOL_SHARE_OF_PEAK x peak bytes in use)` destroys the buffer instead.
 */
export class PooledBufferManager {
  numBytesUsed = 0;
  numBytesAllocated = 0;
  numBytesFree = 0;
  peakBytesUsed = 0;
  /** The largest storage buffer requested since the last `resetLargestRequest` (bytes, before bucketing). */
  largestRequest = 0;
  private numUsedBuffers = 0;
  private numFreeBuffers = 0;
  private free = new Map<string, GPUBuffer[]>();
  private readonly used = new Set<GPUBuffer>();

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBinding: number,
    private readonly freeFloor = 64 * 2 ** 20,
  ) {}

  acquireBuffer(size: number, usage: GPUBufferUsageFlags, mappedAtCreation = false, reuse = true): GPUBuffer {
    if ((usage & GPUBufferUsage.STORAGE) !== 0 && size > this.maxBinding) {
      throw new DeviceError(
        `a tensor of ${size} bytes (${(size / 2 ** 20).toFixed(1)} MiB) exceeds this WebGPU device's maxStorageBufferBindingSize of ` +
          `${this.maxBinding} bytes (${(this.maxBinding / 2 ** 20).toFixed(0)} MiB), and would be computed wrong: lower training.max_edges_per_batch or the batch size`,
      );
    }
    if ((usage & GPUBufferUsage.STORAGE) !== 0) this.largestRequest = Math.max(this.largestRequest, size);
    const bytes = bucketSize(size, this.maxBinding);
    let buffer = reuse ? this.takeFree(bytes, usage) : undefined;
    if (buffer) {
      this.numFreeBuffers--;
      this.numBytesFree -= buffer.size;
    } else {
      buffer = this.device.createBuffer({ size: bytes, usage, mappedAtCreation });
      this.numBytesAllocated += bytes;
    }
    this.used.add(buffer);
    this.numUsedBuffers++;
    this.numBytesUsed += buffer.size;
    this.peakBytesUsed = Math.max(this.peakBytesUsed, this.numBytesUsed);
    return buffer;
  }

  releaseBuffer(buffer: GPUBuffer, reuse = true): void {
    if (!this.used.delete(buffer)) return;
    const bytes = buffer.size;
    this.numUsedBuffers--;
    this.numBytesUsed -= bytes;
    if (reuse && this.numBytesFree + bytes <= Math.max(this.freeFloor, POOL_SHARE_OF_PEAK * this.peakBytesUsed)) {
      const key = `${bytes}_${buffer.usage}`;
      const list = this.free.get(key) ?? [];
      list.push(buffer);
      this.free.set(key, list);
      this.numFreeBuffers++;
      this.numBytesFree += bytes;
    } else {
      buffer.destroy();
      this.numBytesAllocated -= bytes;
    }
  }

  /**
   * The smallest pooled buffer of this usage that holds `bytes` and is at most twice as large (bucket sizes only;
   * requests under `SMALLEST_SHARED` only their own bucket):
   * equal-sized frees are rare when every batch has another edge count, and a near fit spares a new allocation.
   */
  private takeFree(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer | undefined {
    const storage = (usage & GPUBufferUsage.STORAGE) !== 0;
    for (let b = bytes; b <= 2 * bytes && !(storage && b > this.maxBinding); b = bucketSize(b + 1)) {
      const buffer = this.free.get(`${b}_${usage}`)?.pop();
      if (buffer) return buffer;
      if (bytes < SMALLEST_SHARED) break;
    }
    return undefined;
  }

  resetLargestRequest(): void {
    this.largestRequest = 0;
  }

  /** Destroys every pooled buffer (the pool refills from the next step's frees). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.numBytesAllocated -= this.numBytesFree;
    this.free = new Map();
    this.numFreeBuffers = 0;
    this.numBytesFree = 0;
  }

  getNumUsedBuffers(): number {
    return this.numUsedBuffers;
  }

  getNumFreeBuffers(): number {
    return this.numFreeBuffers;
  }

  dispose(): void {
    this.trim();
    for (const b of this.used) b.destroy();
    this.used.clear();
    this.numUsedBuffers = 0;
    this.numBytesUsed = 0;
    this.numBytesAllocated = 0;
  }
}

let failure: string | null = null;

/** Throws the recorded device failure, if any (called at step boundaries and by every host read). */
export function checkDevice(): void {
  if (failure)
    throw new DeviceError(`WebGPU device failed, the run stops (results after this point would be wrong): ${failure}`);
}

/**
 * A promise that resolves once the device has run everything submitted so far (after flushing the backend's pending
 * commands), or null when webgpu is not the active backend. The trainer waits for the step before the last one, so
 * JavaScript never runs more than two steps ahead of the device: freed buffers are only reclaimed once the device
 * is done with them, and a lead of a whole epoch would hold an epoch's worth of them.
 */
export function deviceWorkDone(): Promise<void> | null {
  if (!current || tf.getBackend() !== 'webgpu') return null;
  checkDevice();
  const backend = tf.backend() as unknown as {
    device: GPUDevice;
    commandEncoder: unknown;
    submitQueue(): void;
    endComputePassEncoder(): void;
  };
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return backend.device.queue.onSubmittedWorkDone().then(checkDevice);
}

/** Dawn's default directory for its runtime files; an unset `XDG_RUNTIME_DIR` makes it fail to start. */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = join(tmpdir(), `crystal-gnn-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

export interface WebGPUSetup {
  adapter: AdapterDescription;
  /** The registered backend's buffer manager (GPU bytes in use, allocated, pooled). */
  buffers: PooledBufferManager;
  /** Compute dispatches recorded so far (the GPU cost that fused kernels lower; tf.profile also lists no-op kernels). */
  dispatches: { count: number };
}

export type WebGPUResult = { ok: true; setup: WebGPUSetup } | { ok: false; reason: string };

let setupPromise: Promise<WebGPUResult> | null = null;
let current: WebGPUSetup | null = null;

/** The webgpu backend's adapter and buffers once `setupWebGPU` succeeded, else null. */
export function webgpuSetup(): WebGPUSetup | null {
  return current;
}

/**
 * Finds an adapter, makes a device with the adapter's limits, and registers the `webgpu` TF.js backend on it
 * (once per process). A software adapter is refused unless `allowSoftware` (so `auto` never picks lavapipe).
 */
export function setupWebGPU(allowSoftware: boolean): Promise<WebGPUResult> {
  setupPromise ??= createBackend();
  return setupPromise.then((r) =>
    r.ok && r.setup.adapter.software && !allowSoftware
      ? {
          ok: false,
          reason: `the only WebGPU adapter is a software one (${describeAdapter(r.setup.adapter)}); ask for --backend webgpu to use it`,
        }
      : r,
  );
}

async function createBackend(): Promise<WebGPUResult> {
  ensureRuntimeDir();
  let dawn: typeof import('webgpu');
  let backendModule: typeof import('@tensorflow/tfjs-backend-webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    return {
      ok: false,
      reason: `Dawn's Node binding (npm package webgpu) does not load on ${process.platform}-${process.arch}: ${(e as Error).message}`,
    };
  }
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  try {
    // imported before navigator.gpu exists, so that it does not register its own backend (default device limits)
    backendModule = await import('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-webgpu does not load: ${(e as Error).message}` };
  }
  // The backend's constructor checks navigator.gpu; on Node >= 21 `navigator` is a getter, so define a property on it.
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    return {
      ok: false,
      reason:
        "no WebGPU adapter: no Vulkan driver found (install the GPU driver with Vulkan, or Mesa's mesa-vulkan-drivers >= 24 for the software lavapipe)",
    };
  const limits = Object.fromEntries(LIMIT_KEYS.map((k) => [k, adapter.limits[k]])) as WebGPULimits;
  const info = adapter.info;
  const description: AdapterDescription = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software:
      Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
      /llvmpipe|lavapipe|swiftshader/i.test(`${info.device} ${info.description}`),
    limits,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits: { ...limits } });
  } catch (e) {
    return {
      ok: false,
      reason: `the WebGPU adapter ${describeAdapter(description)} refused a device: ${(e as Error).message}`,
    };
  }
  device.addEventListener('uncapturederror', (ev) => {
    failure ??= (ev as GPUUncapturedErrorEvent).error.message.split('\n')[0];
  });
  let destroyed = false;
  void device.lost.then((lost) => {
    if (!destroyed) failure ??= `device lost (${lost.reason}): ${lost.message}`;
  });
  const buffers = new PooledBufferManager(device, limits.maxStorageBufferBindingSize);
  const dispatches = { count: 0 };
  const Base = backendModule.WebGPUBackend;
  class GuardedWebGPUBackend extends Base {
    // Pooled buffers can be longer than the tensor: keep only its own elements (the backend caches what it read).
    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      checkDevice();
      const values = await super.read(dataId);
      checkDevice();
      const own = this.tensorMap.get(dataId as tf.DataId);
      const n = tf.util.sizeFromShape(own.shape);
      if (own.dtype === 'string' || values.length <= n) return values;
      own.values = (values as tf.backend_util.TypedArray).slice(0, n);
      return own.values;
    }

    override dispose(): void {
      destroyed = true;
      super.dispose();
    }
  }
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    () => {
      const backend = new GuardedWebGPUBackend(device, info);
      backend.bufferManager.dispose();
      (backend as unknown as { bufferManager: PooledBufferManager }).bufferManager = buffers;
      // recordAndSubmit (private in the typings) encodes exactly one dispatch per GPU program that runs
      const inner = backend as unknown as { recordAndSubmit: (...args: unknown[]) => void };
      const record = inner.recordAndSubmit.bind(backend);
      inner.recordAndSubmit = (...args: unknown[]) => {
        dispatches.count += 1;
        record(...args);
      };
      return backend;
    },
    0,
  );
  current = { adapter: description, buffers, dispatches };
  return { ok: true, setup: current };
}
