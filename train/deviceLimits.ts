/**
 * Micro-batch size from the device's limits. On webgpu no tensor may exceed `maxStorageBufferBindingSize` (128 MiB
 * on many adapters; larger ones are computed wrong, see webgpu.ts), so the edge cap of a micro-batch is derived from
 * that limit and the model's widest per-edge tensor, measured by one forward + backward pass on a small probe
 * crystal: cap = ⌊0.9 · limit / (largest tensor bytes / probe edges)⌋. The probe is the crystal with the most
 * three-body triplets per edge (M3GNet's per-triplet tensors grow with that ratio), so the bound holds for the others.
 * `training.max_edges_per_batch` bounds micro-batches as the config writes it: one number on every backend, or a
 * mapping for the backends it names (the shipped configs name wasm and cpu, whose in-process heaps are the limit);
 * `microBatchEdges` takes the smaller of that and the device's cap.
 *
 * The cap is an execution setting, like the backend: gradients are accumulated over micro-batches, so the function
 * trained does not depend on it (train/fingerprint.ts leaves it out). A model that normalises over the batch (CGCNN's
 * BatchNorm) would change with it, so the trainer refuses to split such a model's batches.
 */
import * as tf from '@tensorflow/tfjs';
import { collate, disposeBatch, sampleEdges, type GraphSample } from '../graph/batch.js';
import type { GraphModel } from '../models/model.js';
import type { EdgeBound } from './config.js';
import { webgpuSetup } from './webgpu.js';

const HEADROOM = 0.9;
const PROBE_MAX_EDGES = 20_000;

export interface EdgeCap {
  maxEdges: number;
  bytesPerEdge: number;
  bindingLimit: number;
}

/** The edge cap the active device imposes on `model`, or null where no binding limit applies (not webgpu). */
export async function deviceEdgeCap(model: GraphModel, samples: GraphSample[]): Promise<EdgeCap | null> {
  const setup = webgpuSetup();
  if (!setup || tf.getBackend() !== 'webgpu' || samples.length === 0) return null;
  const ratio = (s: GraphSample) => (s.triplets?.edgeA.length ?? 0) / Math.max(sampleEdges(s), 1);
  const small = samples.filter((s) => sampleEdges(s) > 0 && sampleEdges(s) <= PROBE_MAX_EDGES);
  const probe = (small.length ? small : samples).reduce((best, s) => (ratio(s) > ratio(best) ? s : best));
  const batch = collate([probe]);
  const variables = [...model.trainableVariables().values()];
  setup.buffers.resetLargestRequest();
  try {
    // eval mode: the probe must not move BatchNorm's running statistics
    const loss = () => tf.sum(tf.square(model.forward(batch, false))) as tf.Scalar;
    const { value, grads } = variables.length ? tf.variableGrads(loss, variables) : { value: tf.tidy(loss), grads: {} };
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  } finally {
    disposeBatch(batch);
  }
  const bindingLimit = setup.adapter.limits.maxStorageBufferBindingSize;
  const bytesPerEdge = setup.buffers.largestRequest / Math.max(sampleEdges(probe), 1);
  return { maxEdges: Math.max(1, Math.floor((HEADROOM * bindingLimit) / bytesPerEdge)), bytesPerEdge, bindingLimit };
}

/**
 * Edges per micro-batch on the active backend: the config's bound for it (a number bounds every backend; a mapping
 * leaves unnamed backends unbounded), lowered to the device's cap where there is one.
 */
export function microBatchEdges(bound: EdgeBound, device: EdgeCap | null = null, backend = tf.getBackend()): number {
  const configured = typeof bound === 'number' ? bound : (bound[backend as keyof typeof bound] ?? Infinity);
  return Math.min(configured, device?.maxEdges ?? Infinity);
}
