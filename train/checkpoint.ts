/**
 * Run directories: everything needed to rebuild a model and use it, written atomically (temp + rename).
 *
 *   config.yaml          resolved config (featurisation included), enough to rebuild the model
 *   weights.safetensors  kept weights (best validation epoch, or last), PyTorch layout, upstream key names;
 *                        metadata: model name, epoch, model_version (models/registry.ts; absent = version 1)
 *   normalizer.json      target normaliser fitted on this run's training rows
 *   metrics.json         final metrics
 *   log.jsonl            one line per epoch
 *   state/               resumable state after the last finished epoch (weights, optimizer moments, counters)
 *   test-result.json     test scores of a retrained model (cv --test, search), written last
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../data/errors.js';
import { parseNormalizer, type Normalizer } from '../data/normalizer.js';
import type { StateTensor } from '../models/model.js';
import { atCurrentVersion, modelEntry } from '../models/registry.js';
import { configToYaml, readConfigFile, validateConfig, type RunConfig } from './config.js';
import { readSafetensors, readSafetensorsFile, writeSafetensors } from './safetensors.js';
import type { EpochRecord, Snapshot, TrainerState } from './trainer.js';

/** The trainer counters of a run's resumable state (`epoch` = epochs finished). */
export const trainerStateFile = (dir: string): string => join(dir, 'state', 'trainer.json');

/** A retrained model's test scores; its presence marks the retraining finished. */
export const testResultFile = (dir: string): string => join(dir, 'test-result.json');

/** Writes via a temporary file and a rename; a path that cannot be written (a directory, no access) is an InputError. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new InputError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new InputError(`missing file ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new InputError(`${path}: not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
}

/** The weights metadata key holding the model version (models/registry.ts `ModelEntry.version`). */
export const MODEL_VERSION_KEY = 'model_version';

/** A run's `normalizer.json`, validated. */
export function readNormalizer(path: string): Normalizer {
  return parseNormalizer(readJson<unknown>(path), path);
}

const count = z.number().int().min(0);
/** The counters `Trainer.restore` relies on (trainer.ts TrainerState); the rest is passed through. */
const TrainerStateSchema = z
  .object({
    epoch: count,
    lr: z.number(),
    bestEpoch: z.number().int().min(-1),
    badEpochs: count,
    optimizerStep: count,
    bestValLoss: z.number().nullable(),
    rng: z.object({}).passthrough(),
    history: z.array(z.object({ epoch: count, train_loss: z.number() }).passthrough()),
  })
  .passthrough();

/** Refuses weights holding NaN or ±Inf, naming the file and the first such tensor. */
export function assertFiniteWeights(weights: ReadonlyMap<string, StateTensor>, path: string): void {
  const bad = [...weights].find(([, t]) => !t.data.every(Number.isFinite));
  if (bad) throw new InputError(`${path}: tensor "${bad[0]}" holds non-finite values`);
}

export class RunDirectory {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  writeConfig(config: RunConfig): void {
    writeFileAtomic(this.path('config.yaml'), configToYaml(config));
  }

  writeNormalizer(n: Normalizer): void {
    writeFileAtomic(this.path('normalizer.json'), `${JSON.stringify(n, null, 2)}\n`);
  }

  writeWeights(weights: Map<string, StateTensor>, metadata: Record<string, string> = {}): void {
    writeSafetensors(this.path('weights.safetensors'), weights, metadata);
  }

  /** The kept weights written so far (weights.safetensors). */
  readWeights(): Map<string, StateTensor> {
    return toState(readSafetensors(this.path('weights.safetensors')));
  }

  writeMetrics(metrics: object): void {
    writeFileAtomic(this.path('metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  }

  /** The backend and device the run trains on (for WebGPU: the adapter's vendor, architecture and limits). */
  writeDevice(info: object): void {
    writeFileAtomic(this.path('device.json'), `${JSON.stringify(info, null, 2)}\n`);
  }

  appendLog(record: EpochRecord): void {
    appendFileSync(this.path('log.jsonl'), `${JSON.stringify(record)}\n`);
  }

  /** Resumable state; written after every epoch, the weights first so a crash never leaves a newer counter. */
  writeSnapshot(s: Snapshot): void {
    mkdirSync(this.path('state'), { recursive: true });
    writeSafetensors(join(this.dir, 'state', 'weights.safetensors'), s.weights);
    writeSafetensors(join(this.dir, 'state', 'optimizer.safetensors'), s.optimizer);
    writeFileAtomic(trainerStateFile(this.dir), JSON.stringify(s.state));
  }

  hasSnapshot(): boolean {
    return existsSync(trainerStateFile(this.dir));
  }

  readSnapshot(): Snapshot {
    const path = trainerStateFile(this.dir);
    const parsed = TrainerStateSchema.safeParse(readJson<unknown>(path));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`${path}: not a trainer state (${issue.path.join('.') || '(top level)'}: ${issue.message})`);
    }
    const state = parsed.data as unknown as TrainerState;
    return {
      state,
      weights: toState(readSafetensors(join(this.dir, 'state', 'weights.safetensors'))),
      optimizer: toState(readSafetensors(join(this.dir, 'state', 'optimizer.safetensors'))),
    };
  }

  /** Rewrites log.jsonl from a restored history (drops lines of an epoch that did not finish). */
  rewriteLog(history: EpochRecord[]): void {
    writeFileAtomic(this.path('log.jsonl'), history.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

export function toState(tensors: Map<string, { shape: number[]; data: Float32Array }>): Map<string, StateTensor> {
  return new Map([...tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
}

export interface LoadedRun {
  config: RunConfig;
  normalizer: Normalizer;
  weights: Map<string, StateTensor>;
}

/** Reads a finished run directory (config + weights + normaliser). */
export function readRun(dir: string): LoadedRun {
  const configPath = join(dir, 'config.yaml');
  if (!existsSync(configPath)) throw new InputError(`${dir}: not a run directory (no config.yaml)`);
  const weightsPath = join(dir, 'weights.safetensors');
  if (!existsSync(weightsPath)) throw new InputError(`${dir}: no weights.safetensors (did the run finish an epoch?)`);
  const config = validateConfig(readConfigFile(configPath), configPath);
  const { tensors, metadata } = readSafetensorsFile(weightsPath);
  const stored = metadata[MODEL_VERSION_KEY] === undefined ? 1 : Number(metadata[MODEL_VERSION_KEY]);
  if (!Number.isInteger(stored) || stored < 1)
    throw new InputError(
      `${weightsPath}: metadata ${MODEL_VERSION_KEY} = '${metadata[MODEL_VERSION_KEY]}' is not a version number`,
    );
  const weights = atCurrentVersion(modelEntry(config.model.name)!, stored, toState(tensors), weightsPath);
  return { config, normalizer: readNormalizer(join(dir, 'normalizer.json')), weights };
}
