/**
 * Model registry: the YAML `model:` section maps onto one constructor. `name` picks the entry, every other
 * key is a constructor argument validated by that model's schema (keys are upstream's argument names).
 * The built-in models are listed here explicitly, so importing the registry is enough to know them all.
 */
import type { z } from 'zod';
import { InputError } from '../data/errors.js';
import { graphAsWritten, type GraphNeeds, type GraphSection } from './graphNeeds.js';
import type { StateTensor } from './model.js';
import { cgcnnEntry } from './cgcnn.js';
import { m3gnetEntry } from './m3gnet.js';
import { painnEntry } from './painn.js';
import { schnetEntry } from './schnet.js';
import { so3netEntry } from './so3net.js';

export interface ModelEntry<S extends z.ZodTypeAny = z.ZodTypeAny, M = unknown> {
  name: string;
  schema: S;
  /**
   * The graph this model needs, derived from its own options and the `graph:` section as written; throws a
   * `GraphConflict` (models/graphNeeds.ts) where a written graph key contradicts the model. Absent: the graph
   * as written (`graphAsWritten`).
   */
  graph?: (options: z.infer<S>, written: GraphSection) => GraphNeeds;
  build: (options: z.infer<S>, context: ModelContext) => M;
  description: string;
  /**
   * Version of the model class: bumped when its math or weight layout changes, so that weights trained under
   * another version are converted or refused instead of loaded into different equations (as MatGL's
   * `__version__` per model class). Our checkpoints record it; absent = 1.
   */
  version?: number;
  /** Converts the weights of an older version `from` to this one; absent = older versions are refused. */
  upgrade?: (weights: Map<string, StateTensor>, from: number) => Map<string, StateTensor>;
}

/** What a model needs to know that lives outside its own section: the graph, a seed, graph-level inputs. */
export interface ModelContext {
  cutoff: number;
  seed: number;
  /** Width G of the graph-level features concatenated before the head (`data.graph_features`); 0 = none. */
  graphFeatures?: number;
}

const BUILT_IN: readonly ModelEntry[] = [cgcnnEntry, m3gnetEntry, painnEntry, schnetEntry, so3netEntry];

const registry = new Map<string, ModelEntry>(BUILT_IN.map((e) => [e.name, e]));

/** Adds a model that is not built in (tests, extensions); a built-in name cannot be replaced. */
export function registerModel<S extends z.ZodTypeAny, M>(entry: ModelEntry<S, M>): void {
  if (BUILT_IN.some((e) => e.name === entry.name))
    throw new Error(`registerModel: '${entry.name}' is a built-in model`);
  registry.set(entry.name, entry as unknown as ModelEntry);
}

export function modelEntry(name: string): ModelEntry | undefined {
  return registry.get(name);
}

/** The graph a model entry needs under a written `graph:` section (see `ModelEntry.graph`). */
export function graphNeeds(entry: ModelEntry, options: unknown, written: GraphSection): GraphNeeds {
  return entry.graph ? entry.graph(options, written) : graphAsWritten(written);
}

/** The current version of a model class (see `ModelEntry.version`). */
export function modelVersion(entry: ModelEntry): number {
  return entry.version ?? 1;
}

/**
 * Weights recorded under model version `stored` (checkpoints from before versions were recorded are version 1),
 * as the current version of `entry` needs them: unchanged, converted by `entry.upgrade`, or refused naming `where`.
 */
export function atCurrentVersion(
  entry: ModelEntry,
  stored: number,
  weights: Map<string, StateTensor>,
  where: string,
): Map<string, StateTensor> {
  const current = modelVersion(entry);
  if (stored === current) return weights;
  if (stored > current) {
    throw new InputError(
      `${where}: '${entry.name}' weights of model version ${stored}, but this crystal-gnn knows version ${current} at most (update crystal-gnn)`,
    );
  }
  if (!entry.upgrade) {
    throw new InputError(
      `${where}: '${entry.name}' weights of model version ${stored} cannot be used by version ${current} (the model's equations changed; retrain it)`,
    );
  }
  return entry.upgrade(weights, stored);
}

export function modelNames(): string[] {
  return [...registry.keys()].sort();
}
