/**
 * One training epoch of a paper-best model on the 254 OBELiX training CIFs (the config's batch size and optimiser,
 * no validation): the fastest epoch after the first (warm-up) one, printed next to PyTorch 1.13's time for the same
 * epoch on one core of this machine, with the tensor count after the last epoch (flat memory).
 *
 *   node --import tsx bench/epoch.ts [--config configs/schnet.yaml] [--backend wasm] [--epochs 2] [--profile]
 * `--profile` prints the kernels that take the most time in one optimiser step. A config with `init` (fine-tuning)
 * starts from its checkpoint as `train` does; with `freeze: [representation]` the first epoch computes and caches the
 * frozen features (models/frozenFeatures.ts) and `first_to_steady` is what the cache saves per epoch:
 *   node --import tsx bench/epoch.ts --config configs/occupancy/p-m3gnet.yaml --epochs 3
 * `--structures N` trains on the first N training CIFs only (a few steps per epoch: the GPU bundle's smoke test on a
 * software adapter, bench/gpu/run.sh); `--out FILE` also writes the result line there. On webgpu the micro-batches are
 * capped by the device's binding limit as in `train`, and the adapter is part of the result.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fitNormalizer } from '../data/normalizer.js';
import { splitEntries } from '../data/obelix.js';
import { collate, disposeBatch, planBatches } from '../graph/batch.js';
import { initBackend } from '../train/backend.js';
import { deviceEdgeCap, microBatchEdges } from '../train/deviceLimits.js';
import { loadConfig } from '../train/config.js';
import { applyInit, resolveInit } from '../train/finetune.js';
import { buildModel } from '../models/build.js';
import { loadDataset } from '../train/run.js';
import { samplesFor } from '../graph/featurize.js';
import { Trainer } from '../train/trainer.js';
import { describeAdapter, webgpuSetup } from '../train/webgpu.js';

/** PyTorch 1.13, 1 thread, same epoch (DEVELOPERS.md): SchNet paper-best 3.4 s, CGCNN 1.8 s. */
const TORCH_SECONDS: Record<string, number> = { schnet: 3.4, cgcnn: 1.8 };

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/schnet.yaml' },
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    structures: { type: 'string' },
    out: { type: 'string' },
  },
});

const config = loadConfig(values.config!, [
  `backend=${values.backend}`,
  'data.validation=null',
  'training.early_stopping_patience=null',
  `training.epochs=${values.epochs}`,
]);
const backend = await initBackend(config.backend);
const ds = await loadDataset(config, undefined, () => {});
const t0 = performance.now();
const structures = values.structures === undefined ? Infinity : Number(values.structures);
if (!(structures > 0)) throw new Error(`--structures must be a positive number, got ${values.structures}`);
const samples = samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }).slice(0, structures), config);
const graphSeconds = (performance.now() - t0) / 1000;
const edges = samples.reduce((a, s) => a + s.src.length, 0);
const init = config.init ? resolveInit(config) : null;
const built = buildModel(init ? init.config : config);
const model = init ? applyInit(built, init.checkpoint, init.config.init!, config.seed).model : built;
const normalizer = fitNormalizer(
  samples.map((s) => s.target),
  config.training.target_normalization,
);
const cap = await deviceEdgeCap(model, samples);
const maxEdges = microBatchEdges(config.training.max_edges_per_batch, cap);
const adapter = webgpuSetup()?.adapter;

if (values.profile) {
  // the first micro-batch the trainer would run (max_edges_per_batch bounds M3GNet's three-body tensors)
  const first = planBatches(
    samples.map((_, i) => i),
    samples,
    config.training.batch_size,
    maxEdges,
  )[0][0];
  const batch = collate(first.map((i) => samples[i]));
  const vars = [...model.trainableVariables().values()];
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(batch, true))) as tf.Scalar, vars);
    value.dispose();
    tf.dispose(Object.values(grads));
  });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const rows = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(
    JSON.stringify({
      profile: 'one forward+backward, first micro-batch',
      structures: first.length,
      edges: batch.numEdges,
      kernels: rows.map(([k, ms]) => [k, Number(ms.toFixed(1))]),
    }),
  );
  disposeBatch(batch);
}

const trainer = new Trainer(model, config.training, normalizer, config.seed, cap);
const times: number[] = [];
const torch = TORCH_SECONDS[config.model.name];
/** The result after the epochs so far (`--out` is rewritten after each one, so a run stopped by a time limit still reports). */
function result(): string {
  const steady = times.length > 1 ? Math.min(...times.slice(1)) : times[0];
  return JSON.stringify({
    model: config.model.name,
    backend: backend.name,
    adapter: adapter ? describeAdapter(adapter) : null,
    software_adapter: adapter?.software ?? null,
    max_edges_per_batch: maxEdges,
    structures: samples.length,
    edges,
    graph_seconds: Number(graphSeconds.toFixed(2)),
    epoch_seconds: times.map((t) => Number(t.toFixed(2))),
    steady_epoch_seconds: times.length > 1 ? Number(steady.toFixed(2)) : null,
    first_to_steady: Number((times[0] / steady).toFixed(1)),
    trainable_parameters: model.countParameters(true),
    torch_1core_seconds: torch ?? null,
    ratio_to_torch: torch ? Number((steady / torch).toFixed(2)) : null,
    tensors_after: tf.memory().numTensors,
  });
}
await trainer.fit(samples, null, {
  onEpochEnd: async (record) => {
    times.push(record.seconds);
    if (values.out) writeFileSync(values.out, `${result()}\n`);
  },
});
console.log(result());
