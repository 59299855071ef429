/**
 * One training run from a resolved config: data → graphs → split → model → trainer → run directory.
 * Used by `crystal-gnn train` and, per fold and per trial, by cross-validation and search.
 */
import { ensureObelix, resolveDataDir } from '../data/fetch.js';
import { fitNormalizer, type Normalizer } from '../data/normalizer.js';
import { loadObelix, type ObelixDataset } from '../data/obelix.js';
import type { GraphSample } from '../graph/batch.js';
import { samplesFor } from '../graph/featurize.js';
import { buildModel } from '../models/build.js';
import { modelEntry, modelVersion } from '../models/registry.js';
import { initBackend } from './backend.js';
import { MODEL_VERSION_KEY, RunDirectory } from './checkpoint.js';
import type { RunConfig } from './config.js';
import { applyInit, checkElementTable, formatInitReport, resolveInit } from './finetune.js';
import { genericSamples } from './pretrain.js';
import { regressionMetrics } from './metrics.js';
import { predictSamples, Trainer, type EpochRecord } from './trainer.js';
import { trainValidationSplit } from './validationSplit.js';

export type Log = (line: string) => void;

export async function loadDataset(config: RunConfig, dataFlag: string | undefined, log: Log): Promise<ObelixDataset> {
  const dir = resolveDataDir(config.data.dir ?? dataFlag);
  await ensureObelix(dir, log);
  return loadObelix(dir);
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
  const version = modelVersion(modelEntry(config.model.name)!);
  if (init) formatInitReport(applyInit(model, init.checkpoint, config.init!, config.seed)).forEach((l) => opts.log(l));
  const trainer = new Trainer(model, config.training, normalizer, config.seed);
  try {
    if (opts.resume && run.hasSnapshot()) {
      trainer.restore(run.readSnapshot());
      opts.log(`resuming ${opts.out} after epoch ${trainer.completedEpochs}`);
    } else {
      run.writeConfig(config);
      run.writeNormalizer(normalizer);
      run.rewriteLog([]);
    }
    opts.log(`model: ${config.model.name}, ${model.countParameters()} parameters`);
    const keepBest = config.training.keep === 'best' && val.length > 0;
    const result = await trainer.fit(train, val.length ? val : null, {
      onBatch: opts.onBatch,
      onEpochEnd: async (record, snapshot, improved) => {
        const snap = await snapshot();
        if (!keepBest || improved) run.writeWeights(snap.weights, { model: config.model.name, epoch: String(record.epoch), [MODEL_VERSION_KEY]: String(version) });
        run.writeSnapshot(snap);
        run.appendLog(record);
        const v = record.val_mae === undefined ? '' : `  val_loss ${record.val_loss!.toFixed(4)}  val_mae ${record.val_mae.toFixed(3)}`;
        opts.log(`epoch ${record.epoch}/${config.training.epochs}  train_loss ${record.train_loss.toFixed(4)}${v}  ${record.seconds.toFixed(1)} s`);
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
