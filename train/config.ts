/**
 * Run configuration: YAML validated against one schema. An unknown key, a wrong type or an out-of-range
 * value is rejected with its key path and what was expected; `--set a.b=c` overrides any key. The
 * `model:` section is validated by the schema of the model it names (models/registry.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { GRAPH_FEATURE_NAMES } from '../data/graphFeatures.js';
import { InputError } from '../data/errors.js';
import type { GraphSpec } from '../graph/spec.js';
import { GraphConflict } from '../models/graphNeeds.js';
import { graphNeeds, modelEntry, modelNames } from '../models/registry.js';
import { BACKEND_NAMES } from './backend.js';

export const ValidationSchema = z
  .object({
    /** A fold set of folds.json (e.g. `schnetpack_painn_schnet_seed10_254`), `kfold` for seeded shuffled folds, or `doi_kfold`
     * for seeded folds that keep each publication's entries together (as the OBELiX test split does). */
    folds: z.string().default('schnetpack_painn_schnet_seed10_254'),
    k: z.number().int().min(2).default(5),
    seed: z.number().int().default(42),
    /** Which fold is held out for validation. */
    fold: z.number().int().min(0).default(0),
  })
  .strict();

export const DataSchema = z
  .object({
    /** `obelix`; `jsonl`: one .jsonl(.gz) of structures; `cif_dir`: CIF directory + `id,target` CSV (data/datasets/). */
    dataset: z.enum(['obelix', 'jsonl', 'cif_dir']).default('obelix'),
    /** Data directory; default `--data`, `CRYSTAL_GNN_DATA`, then ~/.cache/crystal-gnn/obelix. */
    dir: z.string().optional(),
    /** jsonl: the file; cif_dir: the CIF directory. */
    path: z.string().optional(),
    /** cif_dir: the id,target CSV inside `path` (CGCNN's id_prop.csv). */
    id_prop: z.string().default('id_prop.csv'),
    /** jsonl: the field used as the target. */
    target_key: z.string().default('target'),
    /** jsonl / cif_dir: seeded random validation split (fraction of the structures kept). */
    validation_fraction: z.number().min(0).lt(1).default(0.1),
    split_seed: z.number().int().default(42),
    /** jsonl / cif_dir: train on a seeded random slice of this many structures (all when absent). */
    limit: z.number().int().positive().optional(),
    /** jsonl / cif_dir: on-disk graph cache root (graph/diskCache.ts). */
    cache_dir: z.string().default('.cache/graphs'),
    /** `null` trains on the whole training split (retraining, final models). */
    validation: ValidationSchema.nullable().default(ValidationSchema.parse({})),
    /**
     * How partial occupancies become a graph: `round` is the OBELiX paper's rule; `weighted` keeps every site as a
     * node with its species mixture and occupancy (data/occupancy.ts, models/layers/occupancy.ts). Any CIF dataset
     * (obelix, cif_dir); jsonl structures are ordered.
     */
    occupancy: z.enum(['round', 'weighted']).default('round'),
    /**
     * Graph-level inputs read from each CIF and concatenated before the model's head (data/graphFeatures.ts):
     * `composition` (unrounded atomic fractions), `space_group`, `z`, `cell_composition`. Every model takes them; jsonl
     * structures have no CIF tags, so no `space_group` or `z`.
     */
    graph_features: z.array(z.enum(GRAPH_FEATURE_NAMES)).default([]),
  })
  .strict();

/**
 * The neighbor graph. Keys the model determines need not be written (models/graphNeeds.ts): CGCNN's k-NN comes
 * from `model.max_num_nbr`, M3GNet's line graph from `model.threebody_cutoff`; a written value must agree with
 * them. The resolved graph is the config's `spec` (graph/spec.ts), which is what the code reads.
 */
export const GraphSchema = z
  .object({
    /** Neighbor cutoff radius in Å (pymatgen convention: d ≤ cutoff); M3GNet's and SO3Net's `model.cutoff` default to it. */
    cutoff: z.number().positive().max(20).default(5),
    /** k nearest neighbors within `cutoff` (CGCNN); absent = every neighbor within the cutoff. */
    max_neighbors: z.number().int().positive().optional(),
    /** M3GNet line graph: pairs of edges sharing a centre, both ≤ this many Å (graph/lineGraph.ts); absent = none. */
    threebody_cutoff: z.number().positive().max(20).optional(),
  })
  .strict();

const edgeCount = z.number().int().positive();
/** Host backends (`tensorflow`, `wasm`, `cpu`) and `webgpu`: the names `tf.getBackend()` reports. */
export const EdgeBoundSchema = z.union([
  edgeCount,
  z.object({ tensorflow: edgeCount, webgpu: edgeCount, wasm: edgeCount, cpu: edgeCount }).partial().strict(),
]);
export type EdgeBound = z.infer<typeof EdgeBoundSchema>;

export const TrainingSchema = z
  .object({
    epochs: z.number().int().positive().default(100),
    batch_size: z.number().int().positive().default(32),
    optimizer: z.enum(['adam', 'adamw']).default('adamw'),
    lr: z.number().positive().default(1e-3),
    /** Decoupled (AdamW) weight decay; plain Adam ignores nothing silently: it must be 0 there. */
    weight_decay: z.number().min(0).default(0),
    scheduler: z.enum(['constant', 'cosine', 'plateau']).default('constant'),
    plateau_factor: z.number().gt(0).lt(1).default(0.5),
    plateau_patience: z.number().int().positive().default(5),
    loss: z.enum(['mse', 'mae', 'huber']).default('mse'),
    huber_delta: z.number().positive().default(1),
    /** Stop after this many epochs without a validation-loss improvement; null = never. */
    early_stopping_patience: z.number().int().positive().nullable().default(3),
    min_delta: z.number().min(0).default(0),
    /** Clip the global gradient norm; null = no clipping. */
    grad_clip: z.number().positive().nullable().default(null),
    /**
     * Micro-batches are cut so that none exceeds this many edges; gradients are accumulated (train/deviceLimits.ts).
     * One number bounds every backend; a mapping bounds the backends it names (`{wasm: 8000, cpu: 8000}`: the
     * in-process heaps) and leaves the others to their own limits (webgpu: the device's binding limit).
     */
    max_edges_per_batch: EdgeBoundSchema.default(200_000),
    /** `mean`: subtract the training mean (SchNetPack); `standardize`: mean and unbiased std (CGCNN); `none` (MatGL). */
    target_normalization: z.enum(['mean', 'standardize', 'none']).default('mean'),
    /** Which weights the run keeps: the best validation epoch or the last one. */
    keep: z.enum(['best', 'last']).default('best'),
    shuffle: z.boolean().default(true),
  })
  .strict();

/**
 * Random hyperparameter search: key paths of this config → candidate values. `trials` distinct sets are drawn
 * without replacement from the product space, each index decoded mixed-radix, first key most significant. `sampler`
 * picks the benchmark's draw: `numpy` = `RandomState(seed).permutation(size)[:trials]` (SchNetPack), `python` =
 * `random.seed(seed); random.sample(range(size), trials)` (MatGL: M3GNet, SO3Net).
 */
export const SearchSchema = z
  .object({
    space: z.record(z.string(), z.array(z.union([z.number(), z.string(), z.boolean(), z.null()])).min(1)),
    trials: z.number().int().positive().default(100),
    seed: z.number().int().min(0).default(10),
    sampler: z.enum(['numpy', 'python']).default('numpy'),
  })
  .strict();

/**
 * Fine-tuning (train/finetune.ts): weights loaded by name from a run directory or a converted upstream checkpoint
 * of the same architecture; `freeze: [representation]` keeps the representation fixed; `reset_head` re-initialises
 * the head instead of loading it.
 */
export const InitSchema = z
  .object({
    from: z.string().min(1),
    freeze: z.array(z.enum(['representation'])).default([]),
    reset_head: z.boolean().default(true),
  })
  .strict();

const ModelHeader = z.object({ name: z.string() }).passthrough();

export const RunSchema = z
  .object({
    name: z.string().optional(),
    seed: z.number().int().default(42),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    data: DataSchema.default(DataSchema.parse({})),
    graph: GraphSchema.default(GraphSchema.parse({})),
    model: ModelHeader,
    training: TrainingSchema.default(TrainingSchema.parse({})),
    search: SearchSchema.optional(),
    init: InitSchema.optional(),
  })
  .strict();

/** A validated config: its sections as written (model defaults filled in) and the graph spec derived from them. */
export type RunConfig = Omit<z.infer<typeof RunSchema>, 'model'> & {
  model: { name: string } & Record<string, unknown>;
  /** Derived by `validateConfig`, never written to config.yaml: what every graph reader takes. */
  spec: GraphSpec;
};

function describeIssue(issue: z.core.$ZodIssue, prefix: string[]): Array<{ key: string; text: string }> {
  const path = [...prefix, ...issue.path.map(String)];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ key: [...path, k].join('.'), text: `unknown key '${[...path, k].join('.')}'` }));
  }
  return [{ key: path.join('.'), text: `${path.length ? path.join('.') : '(top level)'}: ${issue.message}` }];
}

/** The `--set` assignment that wrote `key` (or a section holding it, or a key inside it), if any. */
function overrideFor(key: string, overrides: readonly string[]): string | undefined {
  const within = (a: string, b: string): boolean => a === b || a.startsWith(`${b}.`);
  return [...overrides].reverse().find((o) => {
    const k = o.slice(0, Math.max(o.indexOf('='), 0));
    return k !== '' && key !== '' && (within(key, k) || within(k, key));
  });
}

/** Graph-level features read from CIF tags rather than from the structure (data/graphFeatures.ts). */
const CIF_TAG_FEATURES: readonly string[] = ['space_group', 'z'];

/** Throws one error naming, for each problem, the file or the `--set` argument it came from. */
function failWith(error: z.ZodError, source: string, prefix: string[] = [], overrides: readonly string[] = []): never {
  const bySource = new Map<string, string[]>();
  for (const { key, text } of error.issues.flatMap((i) => describeIssue(i, prefix))) {
    const o = overrideFor(key, overrides);
    const from = o === undefined ? source : `--set ${o}`;
    bySource.set(from, [...(bySource.get(from) ?? []), text]);
  }
  throw new InputError([...bySource].map(([from, lines]) => `${from}: invalid config: ${lines.join('; ')}`).join('; '));
}

/** No model option (width, basis size, block count) beyond this: a typo such as 64000 would allocate gigabytes. */
export const MAX_MODEL_SIZE = 10_000;

/** Models whose head takes `data.graph_features`. */
export const GRAPH_FEATURE_MODELS = ['schnet', 'painn', 'cgcnn', 'm3gnet', 'so3net'];

/**
 * Validates a plain object (already read from YAML, overrides applied) and derives its graph spec. Every rule
 * that ties two sections together lives here, so a config that passes is one the run can honour. `overrides` (the
 * `--set` assignments applied) make an error about a key they set name the `--set` argument instead of `source`.
 */
export function validateConfig(raw: unknown, source: string, overrides: readonly string[] = []): RunConfig {
  const parsed = RunSchema.safeParse(withoutSpec(raw ?? {}));
  if (!parsed.success) failWith(parsed.error, source, [], overrides);
  const { data, training } = parsed.data;
  if (data.occupancy === 'weighted' && data.dataset === 'jsonl') {
    throw new InputError(
      `${source}: data.occupancy: 'weighted' needs partial occupancies, which data.dataset = jsonl structures (one element per site) do not have`,
    );
  }
  const features = data.graph_features;
  const fromTags = features.filter((f) => CIF_TAG_FEATURES.includes(f));
  if (fromTags.length && data.dataset === 'jsonl') {
    throw new InputError(
      `${source}: data.graph_features: ${fromTags.join(', ')} are read from CIF tags, which data.dataset = jsonl structures do not have`,
    );
  }
  const repeated = features.find((f, k) => features.indexOf(f) !== k);
  if (repeated) throw new InputError(`${source}: data.graph_features lists '${repeated}' twice`);
  if (features.length && !GRAPH_FEATURE_MODELS.includes(parsed.data.model.name)) {
    throw new InputError(
      `${source}: data.graph_features: model '${parsed.data.model.name}' has no input for graph-level features (supported: ${GRAPH_FEATURE_MODELS.join(', ')})`,
    );
  }
  if (training.optimizer === 'adam' && training.weight_decay > 0) {
    throw new InputError(
      `${source}: training.weight_decay = ${training.weight_decay} needs training.optimizer: adamw (plain Adam here has no L2 penalty)`,
    );
  }
  const entry = modelEntry(parsed.data.model.name);
  if (!entry) {
    const o = overrideFor('model.name', overrides);
    throw new InputError(
      `${o === undefined ? source : `--set ${o}`}: model.name: unknown model '${parsed.data.model.name}' (valid: ${modelNames().join(', ')})`,
    );
  }
  const model = entry.schema.safeParse(parsed.data.model);
  if (!model.success) failWith(model.error, source, ['model'], overrides);
  const huge = Object.entries(model.data as Record<string, unknown>).find(
    ([, v]) => typeof v === 'number' && v > MAX_MODEL_SIZE,
  );
  if (huge) {
    const o = overrideFor(`model.${huge[0]}`, overrides);
    throw new InputError(
      `${o === undefined ? source : `--set ${o}`}: model.${huge[0]} = ${huge[1]}: at most ${MAX_MODEL_SIZE} (a layer that wide does not fit in memory; the paper's widths are at most 512)`,
    );
  }
  let needs;
  try {
    needs = graphNeeds(entry, model.data, parsed.data.graph);
  } catch (err) {
    if (err instanceof GraphConflict) throw new InputError(`${source}: ${err.message}`);
    throw err;
  }
  const spec: GraphSpec = Object.freeze({ ...needs, occupancy: data.occupancy, graph_features: data.graph_features });
  return { ...parsed.data, model: model.data as RunConfig['model'], spec };
}

/**
 * A validated config passed back in (e.g. spread with a changed section) is validated again: its old spec (the
 * frozen object `validateConfig` made) is dropped, never read. A `spec:` written in a file is an unknown key.
 */
function withoutSpec(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('spec' in raw)) return raw;
  const { spec, ...sections } = raw as Record<string, unknown>;
  return typeof spec === 'object' && spec !== null && Object.isFrozen(spec) ? sections : raw;
}

/** Sets `a.b.c` in a nested object, creating sections on the way; `where` names the source in errors. */
export function setPath(target: Record<string, unknown>, dotted: string, value: unknown, where: string): void {
  const path = dotted.split('.');
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next))
      throw new InputError(`${where}: '${key}' is not a section`);
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Parses one `a.b.c=value` override; the value is read as YAML (numbers, booleans, null, lists). */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${assignment}: expected key.path=value`);
  let value: unknown;
  try {
    value = parseYaml(assignment.slice(eq + 1));
  } catch (err) {
    throw new InputError(`--set ${assignment}: the value is not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  setPath(target, assignment.slice(0, eq), value, `--set ${assignment}`);
}

/** A validated copy of `config` with some key paths replaced (search trials, retraining). */
export function withValues(config: RunConfig, values: Record<string, unknown>, where: string): RunConfig {
  const { spec: _derived, ...sections } = config;
  const raw = structuredClone(sections) as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) setPath(raw, k, v, where);
  return validateConfig(raw, where);
}

export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new InputError(`config file not found: ${path}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `${path}: cannot read the config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError(`${path}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(`${path}: expected a mapping at the top level`);
  return doc as Record<string, unknown>;
}

/** Reads, overrides and validates a config file. */
export function loadConfig(path: string, overrides: string[] = []): RunConfig {
  const raw = readConfigFile(path);
  for (const o of overrides) applyOverride(raw, o);
  return validateConfig(raw, path, overrides);
}

/** The config's sections as YAML (the derived spec is not written: reading the file derives it again). */
export function configToYaml(config: RunConfig): string {
  return stringifyYaml(configSections(config));
}

/** The config as written in files: its sections, without the graph spec derived from them. */
export function configSections(config: RunConfig): Omit<RunConfig, 'spec'> {
  const { spec: _derived, ...sections } = config;
  return sections;
}
