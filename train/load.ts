/**
 * Loading a model for prediction or fine-tuning from either of the two checkpoint kinds: one of our run
 * directories (config.yaml + weights.safetensors + normalizer.json) or a converted upstream checkpoint
 * (config.json + weights.safetensors). Both go through the same weight loading (strict, by name).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import type { Normalizer } from '../data/normalizer.js';
import type { GraphModel, StateTensor } from '../models/model.js';
import { findUpstreamFormat, upstreamFormatNames } from '../models/upstream.js';
import '../models/all.js';
import { readJson, readRun } from './checkpoint.js';
import { RunSchema, validateConfig, type RunConfig } from './config.js';
import { buildModel } from './run.js';
import { readSafetensors } from './safetensors.js';

export interface LoadedModel {
  config: RunConfig;
  model: GraphModel;
  normalizer: Normalizer;
  source: 'run' | 'upstream';
}

export interface CheckpointContents {
  config: RunConfig;
  normalizer: Normalizer;
  weights: Map<string, StateTensor>;
  source: 'run' | 'upstream';
}

/** Reads config, normaliser and weights without building the model. */
export function readCheckpoint(dir: string): CheckpointContents {
  if (existsSync(join(dir, 'config.yaml'))) return { ...readRun(dir), source: 'run' };
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new InputError(`${dir}: neither a run directory (config.yaml) nor a converted checkpoint (config.json)`);
  const raw = readJson<Record<string, unknown>>(configPath);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${configPath}: expected a JSON object`);
  const format = findUpstreamFormat(raw);
  if (!format) throw new InputError(`${configPath}: unrecognised checkpoint format (known: ${upstreamFormatNames().join(', ')})`);
  const spec = format.convert(raw, dir);
  const base = RunSchema.parse({ model: spec.model });
  const config = validateConfig({ ...base, graph: spec.graph, model: spec.model, data: { ...base.data, validation: null } }, configPath);
  const rename = spec.renameKey ?? ((k: string) => k);
  const weightsPath = join(dir, 'weights.safetensors');
  if (!existsSync(weightsPath)) throw new InputError(`${dir}: missing weights.safetensors`);
  const weights = new Map<string, StateTensor>();
  for (const [k, t] of readSafetensors(weightsPath)) weights.set(rename(k), { shape: t.shape, data: t.data });
  return { config, normalizer: spec.normalizer, weights, source: 'upstream' };
}

export function loadModel(dir: string): LoadedModel {
  const c = readCheckpoint(dir);
  const bad = [...c.weights].find(([, t]) => !t.data.every(Number.isFinite));
  if (bad) throw new InputError(`${join(dir, 'weights.safetensors')}: tensor "${bad[0]}" holds non-finite values`);
  const model = buildModel(c.config);
  try {
    model.loadState(c.weights, { strict: true });
  } catch (err) {
    model.dispose();
    if (err instanceof InputError) throw new InputError(`${dir}: ${err.message}`);
    throw err;
  }
  return { config: c.config, model, normalizer: c.normalizer, source: c.source };
}
