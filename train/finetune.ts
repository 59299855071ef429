/**
 * Fine-tuning from a checkpoint (`init:` in the run config): weights are copied by name from one of our run
 * directories or a converted upstream checkpoint (train/load.ts `readCheckpoint`) into a model of the same
 * architecture; `reset_head` re-initialises the head (seeded, by weight name) instead of loading it;
 * `freeze: [representation]` excludes the representation from the optimiser (`setTrainable(false)`, so AdamW
 * neither updates nor decays it, as `requires_grad = False` upstream), and where the representation's features are
 * per crystal (`FeatureModel`: every model but CGCNN, whose BatchNorm normalises over the batch) the model is wrapped
 * so that they are computed once per crystal (models/frozenFeatures.ts).
 *
 * Rules. The checkpoint must hold the same model kind and the same graph (cutoff, k-NN, three-body cutoff): a
 * representation trained on another neighborhood would silently compute something else. A tensor present in
 * both with different shapes is an error naming it and both shapes; checkpoint tensors the model lacks (e.g.
 * CGCNN's 4th conv when the model has 3) are reported as skipped. The element table (`element_types`) is taken
 * from the checkpoint, so the pretrained embedding rows keep their meaning; an element of the training data that
 * the table lacks is an error naming the element.
 */
import { InputError } from '../data/errors.js';
import type { GraphSample } from '../graph/batch.js';
import { ElementTable } from '../models/layers/elementTable.js';
import { FrozenFeatureModel } from '../models/frozenFeatures.js';
import { isFeatureModel, type GraphModel, type StateTensor } from '../models/model.js';
import type { GraphSpec } from '../graph/spec.js';
import { withValues, type RunConfig } from './config.js';
import { readCheckpoint, type CheckpointContents } from './load.js';

export type InitConfig = NonNullable<RunConfig['init']>;

/** Model keys that name an element table rather than an architecture choice: always the checkpoint's. */
export const ELEMENT_TABLE_KEYS = ['element_types'] as const;

export interface InitReport {
  from: string;
  source: 'run' | 'upstream';
  /** Model tensors copied from the checkpoint. */
  loaded: string[];
  /** Checkpoint tensors not used (absent from the model, or head tensors when `reset_head`). */
  skipped: string[];
  /** Head tensors re-initialised (`reset_head`). */
  reinitialized: string[];
  /** Model tensors the checkpoint lacks: they keep their fresh initialisation. */
  notInCheckpoint: string[];
  frozenParameters: number;
  trainableParameters: number;
}

/** The first neighbor-graph option in which two graph specs differ, as a message; null when none does. */
function sameGraph(a: GraphSpec, b: GraphSpec): string | null {
  for (const k of ['cutoff', 'max_neighbors', 'threebody_cutoff'] as const) {
    if (a[k] !== b[k]) return `graph.${k} = ${String(a[k])} here, ${String(b[k])} in the checkpoint`;
  }
  return null;
}

/**
 * Reads `config.init.from` and returns the config to build (element table replaced by the checkpoint's) with
 * the checkpoint contents. Errors name the checkpoint and what differs.
 */
export function resolveInit(
  config: RunConfig,
  log: (line: string) => void = () => {},
): { config: RunConfig; checkpoint: CheckpointContents } {
  const init = config.init;
  if (!init) throw new Error('resolveInit: config has no init section');
  const checkpoint = readCheckpoint(init.from);
  const theirs = checkpoint.config.model;
  if (theirs.name !== config.model.name) {
    throw new InputError(
      `init.from: ${init.from} holds a '${theirs.name}' model, but model.name is '${config.model.name}' (same architecture required)`,
    );
  }
  const graphDiff = sameGraph(config.spec, checkpoint.config.spec);
  if (graphDiff)
    throw new InputError(
      `init.from: ${init.from}: ${graphDiff}; the pretrained weights need the graph they were trained on`,
    );
  const model = { ...config.model };
  for (const key of ELEMENT_TABLE_KEYS) {
    if (!(key in theirs)) continue;
    if (key in model && JSON.stringify(model[key]) !== JSON.stringify(theirs[key]))
      log(
        `init: model.${key} taken from the checkpoint (${(theirs[key] as unknown[]).length} entries), not from this config`,
      );
    model[key] = theirs[key];
  }
  // the element table is part of the graph spec: derive it again from the new model section
  return { config: withValues(config, { model }, `init.from ${init.from}`), checkpoint };
}

/** Throws naming the first element (and a structure with it) that the model's element table lacks. */
export function checkElementTable(config: RunConfig, samples: readonly GraphSample[]): void {
  const table = config.spec.element_types;
  if (!table) return;
  ElementTable.fromSymbols([...table], "the pretrained model's element table").check(samples, {
    prefix: 'init: ',
    suffix: '; it cannot be fine-tuned on this structure',
  });
}

/** Dotted model keys whose variables belong to `part` (head or representation are views over the model's children). */
/** The model's state-dict keys of the weights that belong to `part` (its representation or head). */
export function keysOf(model: GraphModel, part: GraphModel['head']): Set<string> {
  const vars = new Set([...part.namedParameters().values()].map((e) => e.variable));
  return new Set([...model.namedParameters()].filter(([, e]) => vars.has(e.variable)).map(([k]) => k));
}

/**
 * Loads, resets and freezes as `init` says; returns the model to train (`model`, or the frozen-feature wrapper around
 * it) and what happened to every tensor.
 */
export function applyInit(
  model: GraphModel,
  checkpoint: CheckpointContents,
  init: InitConfig,
  seed: number,
): { model: GraphModel; report: InitReport } {
  const headKeys = keysOf(model, model.head);
  const state = new Map<string, StateTensor>();
  const skipped: string[] = [];
  for (const [k, t] of checkpoint.weights) {
    if (init.reset_head && headKeys.has(k)) skipped.push(k);
    else state.set(k, t);
  }
  let report;
  try {
    report = model.loadState(state, { strict: false });
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`init.from ${init.from}: ${err.message}`);
    throw err;
  }
  const reinitialized: string[] = [];
  if (init.reset_head) {
    model.head.initialize(`${seed}:reset_head`);
    reinitialized.push(...headKeys);
  }
  if (init.freeze.includes('representation')) {
    const repKeys = keysOf(model, model.representation);
    const unloaded = report.missing.filter((k) => repKeys.has(k) && model.namedParameters().get(k)!.kind === 'param');
    if (unloaded.length) {
      throw new InputError(
        `init: freeze: [representation], but ${init.from} lacks ${unloaded.join(', ')} (they would stay random and frozen)`,
      );
    }
    model.representation.setTrainable(false);
  }
  const trainable = model.countParameters(true);
  const frozenFeatures = init.freeze.includes('representation') && isFeatureModel(model);
  return {
    model: frozenFeatures ? new FrozenFeatureModel(model) : model,
    report: {
      from: init.from,
      source: checkpoint.source,
      loaded: report.loaded,
      skipped: [...skipped, ...report.unexpected],
      reinitialized,
      notInCheckpoint: report.missing.filter((k) => !(init.reset_head && headKeys.has(k))),
      frozenParameters: model.countParameters() - trainable,
      trainableParameters: trainable,
    },
  };
}

/** The report as log lines (counts, then the names that were not simply loaded). */
export function formatInitReport(r: InitReport): string[] {
  const list = (names: string[]): string =>
    names.length > 12 ? `${names.slice(0, 12).join(', ')}, … (${names.length})` : names.join(', ');
  const lines = [
    `init: from ${r.from} (${r.source} checkpoint): ${r.loaded.length} tensors loaded, ${r.skipped.length} skipped, ${r.reinitialized.length} re-initialised, ${r.notInCheckpoint.length} not in the checkpoint`,
    `init: ${r.trainableParameters} trainable and ${r.frozenParameters} frozen parameters`,
  ];
  if (r.skipped.length) lines.push(`init: skipped: ${list(r.skipped)}`);
  if (r.reinitialized.length) lines.push(`init: re-initialised (reset_head): ${list(r.reinitialized)}`);
  if (r.notInCheckpoint.length)
    lines.push(`init: not in the checkpoint (fresh initialisation): ${list(r.notInCheckpoint)}`);
  return lines;
}
