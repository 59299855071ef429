/**
 * A few optimiser steps of a paper-best config on real OBELiX batches (the first training CIFs in file order, the
 * config's batch size and micro-batching, capped by the device as in training), printing each step's loss, the backend's GPU bytes and the process RSS.
 * Run it once per backend and compare the losses (webgpu against wasm: equal within 1e-4 relative):
 *
 *   memcap 6 node --import tsx bench/stepParity.ts --config configs/painn.yaml --backend webgpu [--steps 3]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { fitNormalizer } from '../data/normalizer.js';
import { splitEntries } from '../data/obelix.js';
import { collate, disposeBatch, planBatches } from '../graph/batch.js';
import { initBackend } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { deviceEdgeCap, microBatchEdges } from '../train/deviceLimits.js';
import { Adam } from '../train/optim.js';
import { samplesFor } from '../graph/featurize.js';
import { buildModel } from '../models/build.js';
import { loadDataset } from '../train/run.js';
import { accumulateGradients, microBatchGradients } from '../train/trainer.js';
import { webgpuSetup } from '../train/webgpu.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/schnet.yaml' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '3' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const steps = Number(values.steps);

/** Shared memory mapped by the process (Linux): where Mesa's lavapipe keeps device buffers. */
function shmemMiB(): number | null {
  const m = /RssShmem:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : null;
}
const config = loadConfig(values.config!, [`backend=${values.backend}`, ...values.set!]);
const backend = await initBackend(config.backend);
const ds = await loadDataset(config, undefined, () => {});
const cfg = config.training;
const entries = splitEntries(ds, 'train', { cifOnly: true }).slice(0, steps * cfg.batch_size);
const samples = samplesFor(ds, entries, config);
const model = buildModel(config);
const normalizer = fitNormalizer(
  samples.map((s) => s.target),
  cfg.target_normalization,
);
const variables = model.trainableVariables();
const list = [...variables.values()];
const nameOf = new Map(list.map((v, i) => [v.name, [...variables.keys()][i]]));
const optimizer = new Adam({ lr: cfg.lr, weightDecay: cfg.optimizer === 'adamw' ? cfg.weight_decay : 0 });
const cap = await deviceEdgeCap(model, samples);
const maxEdges = microBatchEdges(cfg.max_edges_per_batch, cap);
const plan = planBatches(
  samples.map((_, i) => i),
  samples,
  cfg.batch_size,
  maxEdges,
);
/** Compute pipelines compiled so far by the webgpu backend (keyed by shader variant), else null. */
function pipelines(): number | null {
  const cache = (tf.backend() as unknown as { pipelineCache?: object }).pipelineCache;
  return cache ? Object.keys(cache).length : null;
}
const rows = [];
for (const micro of plan.slice(0, steps)) {
  const started = Date.now();
  const size = micro.reduce((a, m) => a + m.length, 0);
  let acc: Map<string, tf.Tensor> | null = null;
  let loss = 0;
  for (const members of micro) {
    const batch = collate(members.map((i) => samples[i]));
    const { value, grads } = microBatchGradients(model, cfg, normalizer, batch, list, size);
    disposeBatch(batch);
    loss += (await value.data())[0];
    value.dispose();
    acc = accumulateGradients(acc, grads, nameOf);
    console.error(
      `  micro-batch ${members.length} crystals: ${((Date.now() - started) / 1000).toFixed(1)} s into the step, ${pipelines()} pipelines`,
    );
  }
  optimizer.apply(variables, acc!);
  tf.dispose([...acc!.values()]);
  const gpu = webgpuSetup()?.buffers;
  rows.push({
    loss,
    micro_batches: micro.length,
    edges: micro.flat().reduce((a, i) => a + samples[i].src.length, 0),
    gpu_used_mib: gpu ? Number((gpu.numBytesUsed / 2 ** 20).toFixed(1)) : null,
    gpu_allocated_mib: gpu ? Number((gpu.numBytesAllocated / 2 ** 20).toFixed(1)) : null,
    gpu_peak_in_use_mib: gpu ? Number((gpu.peakBytesUsed / 2 ** 20).toFixed(1)) : null,
    rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20),
    shmem_mib: shmemMiB(),
    tensors: tf.memory().numTensors,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    pipelines: pipelines(),
  });
  console.error(JSON.stringify(rows.at(-1)));
}
console.log(
  JSON.stringify({ model: config.model.name, backend: backend.description, max_edges: maxEdges, steps: rows }),
);
