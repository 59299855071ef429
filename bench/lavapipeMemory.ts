/**
 * What a training run costs in process memory on lavapipe, per epoch (and every `--every` batches): the backend's
 * tracked GPU bytes, the process RSS, the size of llvmpipe's device-memory file (one memfd, "allocation fd", that
 * Mesa sub-allocates and never shrinks) and the memory cgroup's shared memory (what a memory cap charges).
 * Trains the config on the first `--samples` training crystals (file order) with the trainer, as `train` does.
 *
 *   memcap 4 nice node --import tsx bench/lavapipeMemory.ts --config configs/schnet.yaml --samples 64 --epochs 3 \
 *     [--set training.batch_size=16] [--every 2]
 *
 * Linux only for the memfd and cgroup columns (null elsewhere). See docs/webgpu.md (memory on lavapipe).
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { fitNormalizer } from '../data/normalizer.js';
import { splitEntries } from '../data/obelix.js';
import { samplesFor } from '../graph/featurize.js';
import { buildModel } from '../models/build.js';
import { initBackend } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { deviceEdgeCap, microBatchEdges } from '../train/deviceLimits.js';
import { loadDataset } from '../train/run.js';
import { Trainer } from '../train/trainer.js';
import { webgpuSetup } from '../train/webgpu.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/schnet.yaml' },
    backend: { type: 'string', default: 'webgpu' },
    samples: { type: 'string', default: '64' },
    epochs: { type: 'string', default: '3' },
    every: { type: 'string', default: '0' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const mib = (n: number) => Math.round(n / 2 ** 20);

/** Size of llvmpipe's device-memory file, found among this process's open files by its memfd name. */
function memfdMiB(): number | null {
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      let target: string;
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith('/memfd:allocation fd')) return mib(statSync(`/proc/self/fd/${fd}`).size);
    }
  } catch {
    /* not Linux */
  }
  return null;
}

/** The memory cgroup's shared memory (cgroup v1, as `memcap` sets up): resident pages of memfd files included. */
function cgroupShmemMiB(): number | null {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[1] === 'memory');
    const stat = readFileSync(`/sys/fs/cgroup/memory${line!.split(':')[2]}/memory.stat`, 'utf8');
    return mib(Number(/^shmem (\d+)$/m.exec(stat)![1]));
  } catch {
    return null;
  }
}

function row(label: string): Record<string, unknown> {
  const gpu = webgpuSetup()?.buffers;
  return {
    at: label,
    gpu_in_use_mib: gpu ? mib(gpu.numBytesUsed) : null,
    gpu_allocated_mib: gpu ? mib(gpu.numBytesAllocated) : null,
    gpu_peak_in_use_mib: gpu ? mib(gpu.peakBytesUsed) : null,
    rss_mib: mib(process.memoryUsage().rss),
    memfd_mib: memfdMiB(),
    cgroup_shmem_mib: cgroupShmemMiB(),
    tensors: tf.memory().numTensors,
  };
}

const config = loadConfig(values.config!, [`backend=${values.backend}`, ...values.set!]);
const backend = await initBackend(config.backend);
const ds = await loadDataset(config, undefined, () => {});
const entries = splitEntries(ds, 'train', { cifOnly: true }).slice(0, Number(values.samples));
const samples = samplesFor(ds, entries, config);
const model = buildModel(config);
const cap = await deviceEdgeCap(model, samples);
const training = {
  ...config.training,
  epochs: Number(values.epochs),
  early_stopping_patience: null,
  max_edges_per_batch: microBatchEdges(config.training.max_edges_per_batch, cap),
};
const trainer = new Trainer(
  model,
  training,
  fitNormalizer(
    samples.map((s) => s.target),
    training.target_normalization,
  ),
  config.seed,
);
const every = Number(values.every);
console.log(
  JSON.stringify({
    model: config.model.name,
    backend: backend.description,
    samples: samples.length,
    max_edges: training.max_edges_per_batch,
  }),
);
const t0 = Date.now();
await trainer.fit(samples, null, {
  onBatch: (epoch, b, total) => {
    if (every > 0 && b % every === 0) console.log(JSON.stringify(row(`epoch ${epoch + 1} batch ${b}/${total}`)));
  },
  onEpochEnd: async (record) => {
    console.log(
      JSON.stringify({
        ...row(`epoch ${record.epoch} end`),
        train_loss: record.train_loss,
        seconds: Math.round((Date.now() - t0) / 1000),
      }),
    );
  },
});
