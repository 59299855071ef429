/**
 * Model registry: the YAML `model:` section maps onto one constructor. `name` picks the entry, every other
 * key is a constructor argument validated by that model's schema (keys are upstream's argument names).
 */
import type { z } from 'zod';

export interface ModelEntry<S extends z.ZodTypeAny = z.ZodTypeAny, M = unknown> {
  name: string;
  schema: S;
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

const registry = new Map<string, ModelEntry>();

export function registerModel<S extends z.ZodTypeAny, M>(entry: ModelEntry<S, M>): void {
  registry.set(entry.name, entry as unknown as ModelEntry);
}

export function modelEntry(name: string): ModelEntry | undefined {
  return registry.get(name);
}

export function modelNames(): string[] {
  return [...registry.keys()].sort();
}
