import { fitNormalizer, type Normalizer } from '../../data/normalizer.js';
import type { GraphSample } from '../../graph/batch.js';
import { buildModel } from '../../models/build.js';
import type { GraphModel } from '../../models/model.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { Trainer } from '../../train/trainer.js';

/**
 * A validated run config for quick cpu training tests: `model` as given (a tiny one), graphs within 3.5 Å, batches of 3,
 * no early stopping; `training` adds to or overrides those training settings, `extra` replaces top-level keys.
 */
export function tinyConfig(
  model: { name: string } & Record<string, unknown>,
  training: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): RunConfig {
  const base = RunSchema.parse({ model });
  return validateConfig(
    {
      ...base,
      backend: 'cpu',
      graph: { cutoff: 3.5 },
      model,
      training: { ...base.training, batch_size: 3, early_stopping_patience: null, ...training },
      ...extra,
    },
    'test',
  );
}

export interface TrainerSetup {
  /** The target normaliser; by default mode `mean` fitted to the targets of the samples given. */
  normalizer?: Normalizer;
  /** The trainer's seed (batch order); by default the config's. */
  seed?: number;
}

/** Runs `fn` with a Trainer of `model` under `cfg`; disposes the trainer (not the model) after, whatever `fn` does. */
export async function withTrainerOf<T>(
  model: GraphModel,
  cfg: RunConfig,
  samples: readonly GraphSample[],
  fn: (trainer: Trainer) => Promise<T>,
  setup: TrainerSetup = {},
): Promise<T> {
  const normalizer =
    setup.normalizer ??
    fitNormalizer(
      samples.map((s) => s.target),
      'mean',
    );
  const trainer = new Trainer(model, cfg.training, normalizer, setup.seed ?? cfg.seed);
  try {
    return await fn(trainer);
  } finally {
    trainer.dispose();
  }
}

/** Runs `fn` with a fresh model of `cfg` and its Trainer (see withTrainerOf); disposes both after. */
export async function withTrainer<T>(
  cfg: RunConfig,
  samples: readonly GraphSample[],
  fn: (trainer: Trainer, model: GraphModel) => Promise<T>,
  setup: TrainerSetup = {},
): Promise<T> {
  const model = buildModel(cfg);
  try {
    return await withTrainerOf(model, cfg, samples, (trainer) => fn(trainer, model), setup);
  } finally {
    model.dispose();
  }
}

/** The train loss per epoch of a fresh model of `cfg` fitted to all of `samples` without validation. */
export async function trainLosses(cfg: RunConfig, samples: GraphSample[], setup: TrainerSetup = {}): Promise<number[]> {
  const r = await withTrainer(cfg, samples, (trainer) => trainer.fit(samples, null), setup);
  return r.history.map((h) => h.train_loss);
}
