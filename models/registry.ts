/**
 * Model registry: the YAML `model:` section maps onto one constructor. `name` picks the entry, every other
 * key is a constructor argument validated by that model's schema (keys are upstream's argument names).
 * The built-in models are listed here explicitly, so importing the registry is enough to know them all.
 */
import type { z } from 'zod';
import { graphAsWritten, type GraphNeeds, type GraphSection } from './graphNeeds.js';
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
  if (BUILT_IN.some((e) => e.name === entry.name)) throw new Error(`registerModel: '${entry.name}' is a built-in model`);
  registry.set(entry.name, entry as unknown as ModelEntry);
}

export function modelEntry(name: string): ModelEntry | undefined {
  return registry.get(name);
}

/** The graph a model entry needs under a written `graph:` section (see `ModelEntry.graph`). */
export function graphNeeds(entry: ModelEntry, options: unknown, written: GraphSection): GraphNeeds {
  return entry.graph ? entry.graph(options, written) : graphAsWritten(written);
}

export function modelNames(): string[] {
  return [...registry.keys()].sort();
}
