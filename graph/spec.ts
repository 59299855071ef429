/**
 * The graph spec of a run: everything that decides what a structure's graph sample is. train/config.ts
 * `validateConfig` derives it once from the config (the model entry derives its graph needs from its own options,
 * models/graphNeeds.ts) and every reader takes it from there: the featuriser (graph/featurize.ts), the graph cache
 * keys, the fine-tuning compatibility check, `predict` and `info`.
 */
import type { GraphFeatureName } from '../data/graphFeatures.js';
import { graphKey as cacheKey } from './cache.js';
import type { GraphOptions, OccupancyMode } from './featurize.js';

export interface GraphSpec extends Readonly<GraphOptions> {
  /** How partial occupancies become nodes (`data.occupancy`). */
  readonly occupancy: OccupancyMode;
  /** Graph-level inputs read from each CIF (`data.graph_features`). */
  readonly graph_features: readonly GraphFeatureName[];
  /** The elements the model has embedding rows for, in row order; null = every element its embedding covers. */
  readonly element_types: readonly string[] | null;
}

/** The neighbor-list options of a spec (what the k-d tree search and the line graph are built with). */
export function neighborOptions(o: GraphOptions): GraphOptions {
  const out: GraphOptions = { cutoff: o.cutoff };
  if (o.max_neighbors !== undefined) out.max_neighbors = o.max_neighbors;
  if (o.threebody_cutoff !== undefined) out.threebody_cutoff = o.threebody_cutoff;
  return out;
}

/** Cache key of the neighbor graph (graph/cache.ts naming: builder and every option that is set). */
export function graphKey(o: GraphOptions): string {
  const options = neighborOptions(o) as unknown as Record<string, number>;
  return cacheKey(o.max_neighbors ? 'knn' : 'radius', options);
}

/** Cache key of a whole sample: the neighbor graph, the occupancy rule and the graph-level features. */
export function sampleKey(spec: GraphOptions & Pick<GraphSpec, 'occupancy' | 'graph_features'>): string {
  return `${graphKey(spec)}|${spec.occupancy}|${spec.graph_features.join(',')}`;
}
