/** Building a model from a run config's sections: the registry entry its `model.name` picks, with the graph context. */
import { InputError } from '../data/errors.js';
import { graphFeatureSize } from '../data/graphFeatures.js';
import type { GraphSpec } from '../graph/spec.js';
import type { GraphModel } from './model.js';
import { modelEntry } from './registry.js';

/** The parts of a run config a model is built from (train/config.ts `RunConfig` has them). */
export interface ModelBuildConfig {
  model: { name: string } & Record<string, unknown>;
  /** The derived graph spec (train/config.ts `validateConfig`): the cutoff and the graph-level inputs. */
  spec: GraphSpec;
  seed: number;
}

export function buildModel(config: ModelBuildConfig): GraphModel {
  const entry = modelEntry(config.model.name);
  if (!entry) throw new InputError(`model.name: unknown model '${config.model.name}'`);
  return entry.build(config.model, {
    cutoff: config.spec.cutoff,
    seed: config.seed,
    graphFeatures: graphFeatureSize(config.spec.graph_features),
  }) as GraphModel;
}
