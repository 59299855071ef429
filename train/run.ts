/**
 * One training run from a resolved config: data → graphs → split → model → trainer → run directory.
 * Used by `crystal-gnn train` and, per fold and per trial, by cross-validation and search.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import { ensureObelix, resolveDataDir } from '../data/fetch.js';
import { idSetDigest } from '../data/folds.js';
import { fitNormalizer, type Normalizer } from '../data/normalizer.js';
import { loadObelix, type ObelixDataset } from '../data/obelix.js';
import type { GraphSample } from '../graph/batch.js';
import type { GraphModel } from '../models/model.js';
import { samplesFor } from '../graph/featurize.js';
import { buildModel } from '../models/build.js';
import { modelEntry, modelVersion } from '../models/registry.js';
import { activeBackend, initBackend } from './backend.js';
import { deviceEdgeCap, type EdgeCap } from './deviceLimits.js';
import { webgpuSetup } from './webgpu.js';
import {
  assertFiniteWeights,
  MODEL_VERSION_KEY,
  readNormalizer,
  RunDirectory,
  trainerStateFile,
} from './checkpoint.js';
import { assertSameConfig, readRecordedConfig } from './fingerprint.js';
import type { RunConfig } from './config.js';
import { applyInit, checkElementTable, formatInitReport, resolveInit } from './finetune.js';
import { genericSamples } from './pretrain.js';
import { regressionMetrics } from './metrics.js';
import { predictSamples, Trainer, type EpochRecord, type Snapshot } from './trainer.js';
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
  /** The kept model's validation predictions beside their targets (empty without validation rows). */
  valPredictions: Array<{ id: string; target: number; prediction: number }>;
  secondsPerEpoch: number;
  backend: string;
}

export interface TrainRunOptions {
  out: string;
  /**
   * The caller expects a run in `out` to continue (`train --resume`): refuse when there is none. Without it a run
   * already in `out` still continues when its config matches (and is refused when not): one rule for every command.
   */
  resume?: boolean;
  data?: string;
  log: Log;
  /** Per-batch progress callback (progress bar). */
  onBatch?: (epoch: number, batch: number, total: number) => void;
}

export async function runTraining(config: RunConfig, opts: TrainRunOptions): Promise<RunResult> {
  checkExistingRun(opts.out, config, opts.resume); // before any data loads; trainOnSamples checks again, in full
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
  opts.log(
    `graphs: ${train.length} train + ${val.length} validation structures in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return trainOnSamples(config, train, val, { ...opts, backend: backend.name });
}

/** GPU bytes in use and allocated (webgpu) and the process RSS, for the epoch line: flat across epochs. */
function memoryNote(): string {
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const gpu = webgpuSetup()?.buffers;
  return gpu
    ? `  gpu ${mib(gpu.numBytesUsed)} in use, ${mib(gpu.numBytesAllocated)} allocated  rss ${mib(process.memoryUsage().rss)}`
    : '';
}

/** Where this run's micro-batch edge cap comes from: the config's bound for this backend or the device's. */
function microBatchNote(maxEdges: number, device: EdgeCap | null): string {
  if (maxEdges === Infinity) return 'micro-batches: whole batches (no edge cap on this backend)';
  if (device && maxEdges === device.maxEdges)
    return `micro-batches: at most ${maxEdges} edges, the device's cap: it binds at most ${(device.bindingLimit / 2 ** 20).toFixed(0)} MiB per tensor and this model's widest per-edge tensor takes ${Math.round(device.bytesPerEdge)} bytes per edge`;
  return `micro-batches: at most ${maxEdges} edges (training.max_edges_per_batch on ${tf.getBackend()})`;
}

/** Trains on prepared samples and writes the run directory (the part shared with CV and search). */
export async function trainOnSamples(
  config: RunConfig,
  train: GraphSample[],
  val: GraphSample[],
  opts: TrainRunOptions & { backend: string },
): Promise<RunResult> {
  const run = new RunDirectory(opts.out);
  const normalizer: Normalizer = fitNormalizer(
    train.map((s) => s.target),
    config.training.target_normalization,
  );
  const init = config.init ? resolveInit(config, opts.log) : null;
  if (init) {
    config = init.config;
    checkElementTable(config, [...train, ...val]);
  }
  let model = buildModel(config);
  if (init) {
    const applied = applyInit(model, init.checkpoint, config.init!, config.seed);
    model = applied.model;
    formatInitReport(applied.report).forEach((l) => opts.log(l));
  }
  const cap = await deviceEdgeCap(model, [...train, ...val]);
  const trainer = new Trainer(model, config.training, normalizer, config.seed, cap);
  opts.log(microBatchNote(trainer.maxEdges, cap));
  try {
    const keepBest = config.training.keep === 'best' && val.length > 0;
    const resumed = continueRun(run, { config, normalizer, model, trainer, keepBest, validates: val.length > 0 }, opts);
    if (!resumed) {
      run.writeConfig(config);
      run.writeDevice({
        ...(activeBackend() ?? { name: opts.backend }),
        micro_batch_edges: Number.isFinite(trainer.maxEdges) ? trainer.maxEdges : null,
      });
      run.writeNormalizer(normalizer);
      run.rewriteLog([]);
    }
    opts.log(`model: ${config.model.name}, ${model.countParameters()} parameters`);
    const result = await trainer.fit(train, val.length ? val : null, {
      onBatch: opts.onBatch,
      onEpochEnd: async (record, snapshot, improved) => {
        const snap = await snapshot();
        if (!keepBest || improved) run.writeWeights(snap.weights, keptWeightsMetadata(config, record.epoch));
        run.writeSnapshot(snap);
        run.appendLog(record);
        const v =
          record.val_mae === undefined
            ? ''
            : `  val_loss ${record.val_loss!.toFixed(4)}  val_mae ${record.val_mae.toFixed(3)}`;
        opts.log(
          `epoch ${record.epoch}/${config.training.epochs}  train_loss ${record.train_loss.toFixed(4)}${v}  ${record.seconds.toFixed(1)} s${memoryNote()}`,
        );
      },
    });
    if (keepBest && result.bestWeights) model.loadState(result.bestWeights);
    // resumed after the best epoch: the kept weights are those on disk (verified in continueRun)
    else if (keepBest && resumed) model.loadState(run.readWeights());
    const predicted = val.length
      ? await predictSamples(model, val, normalizer, config.training.batch_size, trainer.maxEdges)
      : null;
    const valMetrics = predicted
      ? regressionMetrics(
          predicted,
          val.map((s) => s.target),
        )
      : null;
    const valPredictions = val.map((s, i) => ({ id: s.id, target: s.target, prediction: predicted![i] }));
    const seconds = result.history.map((r) => r.seconds);
    const secondsPerEpoch = seconds.reduce((a, b) => a + b, 0) / Math.max(seconds.length, 1);
    const out: RunResult = {
      dir: opts.out,
      history: result.history,
      bestEpoch: result.bestEpoch,
      epochsRun: result.history.length,
      valMetrics,
      valPredictions,
      secondsPerEpoch,
      backend: opts.backend,
    };
    run.writeMetrics({
      model: config.model.name,
      backend: opts.backend,
      parameters: model.countParameters(),
      train_structures: train.length,
      val_structures: val.length,
      train_ids_sha256: idSetDigest(train.map((s) => s.id)),
      val_ids_sha256: idSetDigest(val.map((s) => s.id)),
      epochs_run: out.epochsRun,
      best_epoch: out.bestEpoch,
      stopped_early: result.stoppedEarly,
      kept: keepBest ? 'best' : 'last',
      seconds_per_epoch: secondsPerEpoch,
      val: valMetrics,
    });
    return out;
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

/**
 * The run already in `dir` may be continued with `config`: its recorded config has the same fingerprint (epochs
 * aside), and with `resume` there is a run to continue. Returns the recorded config (null for a new directory).
 */
export function checkExistingRun(dir: string, config: RunConfig, resume = false): RunConfig | null {
  const recorded = readRecordedConfig(dir);
  if (recorded) assertSameConfig(recorded, config, dir, { resuming: true });
  if (resume && !existsSync(trainerStateFile(dir))) {
    throw new InputError(
      `--resume: ${dir} holds no run to resume (no ${trainerStateFile(dir)}); leave out --resume to start one`,
    );
  }
  return recorded;
}

interface RunInProgress {
  config: RunConfig;
  normalizer: Normalizer;
  model: GraphModel;
  trainer: Trainer;
  keepBest: boolean;
  validates: boolean;
}

/**
 * Continues the run already in `run.dir`, if there is one, and returns whether it did. Its recorded config must have
 * this config's fingerprint (train/fingerprint.ts; `training.epochs` may differ), its normaliser must be the one
 * fitted on these training rows, and the kept weights must load before any epoch is trained. A finished run (all
 * epochs done, or stopped early) continues to a no-op that says so.
 */
function continueRun(run: RunDirectory, r: RunInProgress, opts: TrainRunOptions): boolean {
  const recorded = checkExistingRun(run.dir, r.config, opts.resume);
  if (!run.hasSnapshot()) return false;
  if (!recorded)
    throw new InputError(
      `${run.dir}: resumable state without config.yaml, so it cannot be checked against this config; write to another --out`,
    );
  const saved = readNormalizer(run.path('normalizer.json'));
  if (saved.mode !== r.normalizer.mode || saved.mean !== r.normalizer.mean || saved.std !== r.normalizer.std) {
    throw new InputError(
      `${run.path('normalizer.json')}: the run started on other training rows (target mean ${saved.mean} there, ${r.normalizer.mean} here); write to another --out`,
    );
  }
  const snapshot = run.readSnapshot();
  verifyOptimizerState(run, r.model, snapshot);
  verifyKeptWeights(run, r, snapshot, opts.log);
  r.trainer.restore(snapshot);
  run.rewriteLog(snapshot.state.history);
  const s = snapshot.state;
  const patience = r.config.training.early_stopping_patience;
  const stoppedEarly = r.validates && patience !== null && s.badEpochs >= patience;
  if (stoppedEarly || s.epoch >= r.config.training.epochs) {
    const why = stoppedEarly ? `stopped early after epoch ${s.epoch}` : `all ${s.epoch} epochs done`;
    opts.log(
      `${run.dir}: finished earlier (${why}); nothing to train, metrics from the kept weights (epoch ${s.bestEpoch})`,
    );
  } else {
    opts.log(`resuming ${run.dir} after epoch ${s.epoch} (same config)`);
  }
  return true;
}

/** Every saved Adam moment belongs to a variable of this model, with its shape, and holds finite values. */
function verifyOptimizerState(run: RunDirectory, model: GraphModel, snapshot: Snapshot): void {
  const path = join(run.dir, 'state', 'optimizer.safetensors');
  const variables = model.trainableVariables();
  for (const [key, t] of snapshot.optimizer) {
    const v = variables.get(key.slice(2));
    if (!/^[mv]\./.test(key) || !v) throw new InputError(`${path}: "${key}" is not a moment of this model's variables`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new InputError(`${path}: "${key}" has shape [${t.shape.join(', ')}], the variable [${v.shape.join(', ')}]`);
    }
    if (!t.data.every(Number.isFinite)) throw new InputError(`${path}: "${key}" holds non-finite values`);
  }
}

/** What weights.safetensors records beside the tensors: the model, its epoch and the model's version. */
function keptWeightsMetadata(config: RunConfig, epoch: number): Record<string, string> {
  return {
    model: config.model.name,
    epoch: String(epoch),
    [MODEL_VERSION_KEY]: String(modelVersion(modelEntry(config.model.name)!)),
  };
}

/**
 * The kept weights (weights.safetensors) must load into this model before a resume trains on: a corrupt or
 * foreign file is rewritten from the resumable state when that state holds them (the last epoch is the kept one),
 * and refused otherwise, since the best epoch's weights are then lost.
 */
function verifyKeptWeights(run: RunDirectory, r: RunInProgress, snapshot: Snapshot, log: Log): void {
  const path = run.path('weights.safetensors');
  let problem: string | null = null;
  try {
    const weights = run.readWeights();
    assertFiniteWeights(weights, path);
    r.model.loadState(weights, { strict: true });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    problem = err.message.includes(path) ? err.message : `${path}: ${err.message}`;
  }
  if (problem === null) return;
  const s = snapshot.state;
  if (r.keepBest && s.bestEpoch !== s.epoch) {
    throw new InputError(
      `${problem}; the kept weights of epoch ${s.bestEpoch} cannot be rebuilt from the resumable state (epoch ${s.epoch}): train again with another --out`,
    );
  }
  run.writeWeights(snapshot.weights, keptWeightsMetadata(r.config, s.epoch));
  log(`${problem}; rewritten from the resumable state (epoch ${s.epoch}, the kept one)`);
}
