/** Building a model from a run config's sections: the registry entry its `model.name` picks, with the graph context. */
import { InputError } from '../data/errors.js';
import { graphFeatureSize, type GraphFeatureName } from '../data/graphFeatures.js';
import type { GraphModel } from './model.js';
import { modelEntry } from './registry.js';

/** The parts of a run config a model is built from (train/config.ts `RunConfig` has them). */
export interface ModelBuildConfig {
  model: { name: string } & Record<string, unknown>;
  graph: { cutoff: number };
  data: { graph_features: readonly GraphFeatureName[] };
  seed: number;
}

export function buildModel(config: ModelBuildConfig): GraphModel {
  const entry = modelEntry(config.model.name);
  if (!entry) throw new InputError(`model.name: unknown model '${config.model.name}'`);
  return entry.build(config.model, { cutoff: config.graph.cutoff, seed: config.seed, graphFeatures: graphFeatureSize(config.data.graph_features) }) as GraphModel;
}
