/**
 * Ensembles of trained runs: the mean prediction of several models (seeds, fold models of a CV, variants) on the
 * same OBELiX entries. Each member builds its graphs under its own config (occupancy mode, graph features, cutoff).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../data/errors.js';
import type { ObelixDataset, ObelixEntry } from '../data/obelix.js';
import { loadModel } from './load.js';
import { regressionMetrics, type Metrics } from './metrics.js';
import { samplesFor } from '../graph/featurize.js';
import { predictSamples } from './trainer.js';
import { microBatchEdges } from './deviceLimits.js';

/**
 * The model directories a path names: a run (it has weights.safetensors) is itself; a CV directory stands for its
 * fold models (fold-0 …) and, when present, its retrained `final` model.
 */
export function expandRunDirs(path: string): string[] {
  if (!existsSync(path)) throw new InputError(`${path}: no such run directory`);
  if (existsSync(join(path, 'weights.safetensors'))) return [path];
  const folds = readdirSync(path)
    .filter((d) => /^fold-\d+$/.test(d))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const members = [...folds, 'final']
    .map((d) => join(path, d))
    .filter((d) => existsSync(join(d, 'weights.safetensors')));
  if (!members.length)
    throw new InputError(
      `${path}: neither a run (weights.safetensors) nor a CV directory with trained fold-N/ or final/`,
    );
  return members;
}

export interface EnsembleResult {
  ids: string[];
  targets: number[];
  members: Array<{ run: string; predictions: Float64Array; metrics: Metrics }>;
  /** Mean of the members' predictions, entry by entry. */
  predictions: Float64Array;
  metrics: Metrics;
}

/** Predicts `entries` with every run in `runs` and averages; `entries` must be the same for all (e.g. the test CIFs). */
export async function ensemblePredict(
  ds: ObelixDataset,
  runs: string[],
  entries: ObelixEntry[],
): Promise<EnsembleResult> {
  if (!runs.length) throw new InputError('ensemble: no runs given');
  const targets = entries.map((e) => e.target);
  const members: EnsembleResult['members'] = [];
  for (const run of runs) {
    const { config, model, normalizer } = loadModel(run);
    try {
      const predictions = await predictSamples(
        model,
        samplesFor(ds, entries, config),
        normalizer,
        config.training.batch_size,
        microBatchEdges(config.training.max_edges_per_batch),
      );
      members.push({ run, predictions, metrics: regressionMetrics(predictions, targets) });
    } finally {
      model.dispose();
    }
  }
  const predictions = new Float64Array(entries.length);
  for (const m of members)
    m.predictions.forEach((p, i) => {
      predictions[i] += p / members.length;
    });
  return {
    ids: entries.map((e) => e.id),
    targets,
    members,
    predictions,
    metrics: regressionMetrics(predictions, targets),
  };
}
