/**
 * Loading a model for prediction or fine-tuning from any checkpoint kind: one of our run directories
 * (config.yaml + weights.safetensors + normalizer.json), a converted upstream checkpoint (config.json +
 * weights.safetensors), or an upstream file read directly (CGCNN .pth.tar, MatGL folder, SchNetPack best_model;
 * train/upstreamFiles.ts). All go through the same weight loading (strict, by name).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import type { Normalizer } from '../data/normalizer.js';
import type { GraphModel, StateTensor } from '../models/model.js';
import { findUpstreamFormat, upstreamFormatNames } from '../models/upstream.js';
import { assertFiniteWeights, readJson, readRun } from './checkpoint.js';
import { RunSchema, validateConfig, type RunConfig } from './config.js';
import { buildModel } from '../models/build.js';
import { readSafetensors } from './safetensors.js';
import { resolveDataRef } from '../data/sources.js';
import { detectUpstreamFile, readUpstreamFile } from './upstreamFiles.js';

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
export function readCheckpoint(ref: string): CheckpointContents {
  const dir = resolveDataRef(ref, 'checkpoint');
  if (existsSync(join(dir, 'config.yaml'))) return { ...readRun(dir), source: 'run' };
  if (detectUpstreamFile(dir)) {
    const file = readUpstreamFile(dir);
    const stored = new Map([...file.weights].map(([k, t]) => [k, { shape: t.shape, data: t.toFloat32() }]));
    return fromUpstreamConfig(file.config, dir, dir, stored);
  }
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    throw new InputError(
      `${dir}: neither a run directory (config.yaml), a converted checkpoint (config.json), a CGCNN .pth.tar, a MatGL model folder nor a SchNetPack best_model`,
    );
  const raw = readJson<Record<string, unknown>>(configPath);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError(`${configPath}: expected a JSON object`);
  const weightsPath = join(dir, 'weights.safetensors');
  if (!existsSync(weightsPath)) throw new InputError(`${dir}: missing weights.safetensors`);
  const stored = new Map([...readSafetensors(weightsPath)].map(([k, t]) => [k, { shape: t.shape, data: t.data }]));
  return fromUpstreamConfig(raw, dir, configPath, stored);
}

/** An upstream `config.json` (read or synthesised) and its stored tensors → our config, normaliser and keys. */
function fromUpstreamConfig(
  raw: Record<string, unknown>,
  dir: string,
  where: string,
  stored: Map<string, StateTensor>,
): CheckpointContents {
  const format = findUpstreamFormat(raw);
  if (!format)
    throw new InputError(`${where}: unrecognised checkpoint format (known: ${upstreamFormatNames().join(', ')})`);
  const spec = format.convert(raw, dir);
  const base = RunSchema.parse({ model: spec.model });
  const config = validateConfig(
    { ...base, graph: spec.graph, model: spec.model, data: { ...base.data, validation: null } },
    where,
  );
  const rename = spec.renameKey ?? ((k: string) => k);
  const weights = new Map<string, StateTensor>();
  for (const [k, t] of stored) weights.set(rename(k), t);
  return { config, normalizer: spec.normalizer, weights, source: 'upstream' };
}

export function loadModel(dir: string): LoadedModel {
  const c = readCheckpoint(dir);
  assertFiniteWeights(c.weights, join(dir, 'weights.safetensors'));
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
