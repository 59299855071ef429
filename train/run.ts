/**
 * One training run from a resolved config: data → graphs → split → model → trainer → run directory.
 * Used by `crystal-gnn train` and, per fold and per trial, by cross-validation and search.
 */
import { InputError } from '../data/errors.js';
import { ensureObelix, resolveDataDir } from '../data/fetch.js';
import { groupKFold, kFoldShuffled, paperFolds, PAPER_FOLD_SETS, type PaperFoldSet } from '../data/folds.js';
import { fitNormalizer, type Normalizer } from '../data/normalizer.js';
import { loadObelix, splitEntries, type ObelixDataset, type ObelixEntry } from '../data/obelix.js';
import type { GraphSample } from '../graph/batch.js';
import type { GraphModel } from '../models/model.js';
import { modelEntry } from '../models/registry.js';
import '../models/all.js';
import { activeBackend, initBackend } from './backend.js';
import { deviceEdgeCap } from './deviceLimits.js';
import { webgpuSetup } from './webgpu.js';
import { RunDirectory } from './checkpoint.js';
import type { RunConfig } from './config.js';
import { applyInit, checkElementTable, formatInitReport, resolveInit } from './finetune.js';
import { genericSamples } from './pretrain.js';
import { regressionMetrics } from './metrics.js';
import { sampleFromCif } from './samples.js';
import { graphFeatureSize } from '../data/graphFeatures.js';
import { predictSamples, Trainer, type EpochRecord } from './trainer.js';

export type Log = (line: string) => void;

export function buildModel(config: RunConfig): GraphModel {
  const entry = modelEntry(config.model.name);
  if (!entry) throw new InputError(`model.name: unknown model '${config.model.name}'`);
  return entry.build(config.model, { cutoff: config.graph.cutoff, seed: config.seed, graphFeatures: graphFeatureSize(config.data.graph_features) }) as GraphModel;
}

export async function loadDataset(config: RunConfig, dataFlag: string | undefined, log: Log): Promise<ObelixDataset> {
  const dir = resolveDataDir(config.data.dir ?? dataFlag);
  await ensureObelix(dir, log);
  return loadObelix(dir);
}

/** The graph samples of some OBELiX entries under this config's graph options. */
export function samplesFor(ds: ObelixDataset, entries: ObelixEntry[], config: RunConfig): GraphSample[] {
  return entries.map((e) => sampleFromCif(ds.cifPath(e.id), config.graph, e.target, config.data.occupancy, config.data.graph_features));
}

/** Fold kinds drawn from `data.validation.k` and `seed` rather than read from the paper's recipes. */
export const isSeededFoldKind = (folds: string): folds is 'kfold' | 'doi_kfold' => folds === 'kfold' || folds === 'doi_kfold';

/** Validation folds (entry IDs) over the CIF training subset, as the config names them. */
export function validationFolds(ds: ObelixDataset, v: NonNullable<RunConfig['data']['validation']>): string[][] {
  if (isSeededFoldKind(v.folds)) {
    const entries = splitEntries(ds, 'train', { cifOnly: true });
    try {
      const folds = v.folds === 'kfold' ? kFoldShuffled(entries.length, v.k, v.seed) : groupKFold(entries.map((e) => e.doi), v.k, v.seed);
      return folds.map((f) => f.map((i) => entries[i].id));
    } catch (err) {
      if (err instanceof RangeError) throw new InputError(`data.validation.k = ${v.k}: ${err.message}`);
      throw err;
    }
  }
  if (!(PAPER_FOLD_SETS as readonly string[]).includes(v.folds)) {
    throw new InputError(`data.validation.folds: unknown fold set '${v.folds}' (valid: kfold, doi_kfold, ${PAPER_FOLD_SETS.join(', ')})`);
  }
  return paperFolds(v.folds as PaperFoldSet, ds);
}

export interface Split {
  train: ObelixEntry[];
  val: ObelixEntry[];
}

export function trainValidationSplit(ds: ObelixDataset, config: RunConfig): Split {
  const all = splitEntries(ds, 'train', { cifOnly: true });
  const v = config.data.validation;
  if (!v) return { train: all, val: [] };
  const folds = validationFolds(ds, v);
  if (v.fold >= folds.length) throw new InputError(`data.validation.fold = ${v.fold}, but there are only ${folds.length} folds`);
  const held = new Set(folds[v.fold]);
  return { train: all.filter((e) => !held.has(e.id)), val: all.filter((e) => held.has(e.id)) };
}

export interface RunResult {
  dir: string;
  history: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  valMetrics: ReturnType<typeof regressionMetrics> | null;
  secondsPerEpoch: number;
  backend: string;
}

export interface TrainRunOptions {
  out: string;
  resume?: boolean;
  data?: string;
  log: Log;
  /** Per-batch progress callback (progress bar). */
  onBatch?: (epoch: number, batch: number, total: number) => void;
}

export async function runTraining(config: RunConfig, opts: TrainRunOptions): Promise<RunResult> {
  const backend = await initBackend(config.backend);
  opts.log(`backend: ${backend.description}`);
  if (config.data.dataset !== 'obelix') {
    const generic = await genericSamples(config, opts.log);
    return trainOnSamples(config, generic.train, generic.val, { ...opts, backend: backend.name });
  }
  const ds = await loadDataset(config, opts.data, opts.log);
  const split = trainValidationSplit(ds, config);
  const t0 = performance.now();
  const train = samplesFor(ds, split.train, config);
  const val = samplesFor(ds, split.val, config);
  opts.log(`graphs: ${train.length} train + ${val.length} validation structures in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return trainOnSamples(config, train, val, { ...opts, backend: backend.name });
}

/** GPU bytes in use and allocated (webgpu) and the process RSS, for the epoch line: flat across epochs. */
function memoryNote(): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const gpu = webgpuSetup()?.buffers;
  return gpu ? `  gpu ${mib(gpu.numBytesUsed)} in use, ${mib(gpu.numBytesAllocated)} allocated  rss ${mib(process.memoryUsage().rss)}` : '';
}

/** Trains on prepared samples and writes the run directory (the part shared with CV and search). */
export async function trainOnSamples(
  config: RunConfig, train: GraphSample[], val: GraphSample[], opts: TrainRunOptions & { backend: string },
): Promise<RunResult> {
  const run = new RunDirectory(opts.out);
  const normalizer: Normalizer = fitNormalizer(train.map((s) => s.target), config.training.target_normalization);
  const init = config.init ? resolveInit(config, opts.log) : null;
  if (init) {
    config = init.config;
    checkElementTable(config, [...train, ...val]);
  }
  const model = buildModel(config);
  if (init) formatInitReport(applyInit(model, init.checkpoint, config.init!, config.seed)).forEach((l) => opts.log(l));
  const cap = await deviceEdgeCap(model, [...train, ...val]);
  if (cap && cap.maxEdges < config.training.max_edges_per_batch) {
    // recorded in the run's config.yaml: the micro-batches this run actually used
    config = { ...config, training: { ...config.training, max_edges_per_batch: cap.maxEdges } };
    opts.log(`training.max_edges_per_batch = ${cap.maxEdges}: the device binds at most ${(cap.bindingLimit / 2 ** 20).toFixed(0)} MiB per tensor and this model's widest per-edge tensor takes ${Math.round(cap.bytesPerEdge)} bytes per edge`);
  }
  const trainer = new Trainer(model, config.training, normalizer, config.seed);
  try {
    if (opts.resume && run.hasSnapshot()) {
      trainer.restore(run.readSnapshot());
      opts.log(`resuming ${opts.out} after epoch ${trainer.completedEpochs}`);
    } else {
      run.writeConfig(config);
      run.writeDevice(activeBackend() ?? { name: opts.backend });
      run.writeNormalizer(normalizer);
      run.rewriteLog([]);
    }
    opts.log(`model: ${config.model.name}, ${model.countParameters()} parameters`);
    const keepBest = config.training.keep === 'best' && val.length > 0;
    const result = await trainer.fit(train, val.length ? val : null, {
      onBatch: opts.onBatch,
      onEpochEnd: async (record, snapshot, improved) => {
        const snap = await snapshot();
        if (!keepBest || improved) run.writeWeights(snap.weights, { model: config.model.name, epoch: String(record.epoch) });
        run.writeSnapshot(snap);
        run.appendLog(record);
        const v = record.val_mae === undefined ? '' : `  val_loss ${record.val_loss!.toFixed(4)}  val_mae ${record.val_mae.toFixed(3)}`;
        opts.log(`epoch ${record.epoch}/${config.training.epochs}  train_loss ${record.train_loss.toFixed(4)}${v}  ${record.seconds.toFixed(1)} s${memoryNote()}`);
      },
    });
    if (keepBest && result.bestWeights) model.loadState(result.bestWeights);
    const valMetrics = val.length
      ? regressionMetrics(await predictSamples(model, val, normalizer, config.training.batch_size, config.training.max_edges_per_batch), val.map((s) => s.target))
      : null;
    const seconds = result.history.map((r) => r.seconds);
    const secondsPerEpoch = seconds.reduce((a, b) => a + b, 0) / Math.max(seconds.length, 1);
    const out: RunResult = {
      dir: opts.out, history: result.history, bestEpoch: result.bestEpoch, epochsRun: result.history.length,
      valMetrics, secondsPerEpoch, backend: opts.backend,
    };
    run.writeMetrics({
      model: config.model.name, backend: opts.backend, parameters: model.countParameters(),
      train_structures: train.length, val_structures: val.length,
      epochs_run: out.epochsRun, best_epoch: out.bestEpoch, stopped_early: result.stoppedEarly,
      kept: keepBest ? 'best' : 'last', seconds_per_epoch: secondsPerEpoch, val: valMetrics,
    });
    return out;
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
