/**
 * The training loop shared by every model: seeded shuffling, micro-batches with gradient accumulation,
 * Adam/AdamW, LR schedules, clipping, early stopping on the validation loss, best/last weights, and a
 * resumable state written after every epoch.
 *
 * Hot-loop rules (they keep the GPU backends fast and memory flat): no synchronous read (`dataSync`) anywhere — batch losses
 * stay on the device and are read once per epoch; every step runs inside `tf.tidy`, and the tensors that must
 * outlive it (accumulated gradients, loss scalars) are disposed explicitly.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { InputError } from '../data/errors.js';
import { normalize, type Normalizer } from '../data/normalizer.js';
import { collate, disposeBatch, planBatches, sampleEdges, type GraphBatch, type GraphSample } from '../graph/batch.js';
import type { GraphModel, StateTensor } from '../models/model.js';
import type { RunConfig } from './config.js';
import { microBatchEdges, type EdgeCap } from './deviceLimits.js';
import { lossSum, meanLoss } from './losses.js';
import { regressionMetrics, type Metrics } from './metrics.js';
import { Adam, PlateauScheduler, scheduledLr } from './optim.js';
import { deviceWorkDone } from './webgpu.js';

export type TrainingConfig = RunConfig['training'];

export interface EpochRecord {
  epoch: number;
  lr: number;
  train_loss: number;
  val_loss?: number;
  val_mae?: number;
  val_rmse?: number;
  val_r2?: number;
  seconds: number;
}

/** Everything needed to continue an interrupted run exactly where it stopped. */
export interface TrainerState {
  epoch: number;
  lr: number;
  bestValLoss: number;
  bestEpoch: number;
  badEpochs: number;
  rng: object;
  plateau?: { best: number; bad: number };
  history: EpochRecord[];
  optimizerStep: number;
}

export interface TrainerHooks {
  /** Called after every epoch with what to persist; the run directory writes it atomically. */
  onEpochEnd?: (record: EpochRecord, snapshot: () => Promise<Snapshot>, improved: boolean) => Promise<void>;
  /** Per-batch progress (for a progress bar). */
  onBatch?: (epoch: number, batch: number, total: number) => void;
}

export interface Snapshot {
  state: TrainerState;
  weights: Map<string, StateTensor>;
  optimizer: Map<string, StateTensor>;
}

export interface FitResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  stoppedEarly: boolean;
  /** Best-validation weights (when kept in memory), else null. */
  bestWeights: Map<string, StateTensor> | null;
}

/** Runs the model over samples in batches and returns predictions in physical units. */
export async function predictSamples(
  model: GraphModel,
  samples: GraphSample[],
  normalizer: Normalizer,
  batchSize: number,
  maxEdges: number,
): Promise<Float64Array> {
  const order = samples.map((_, i) => i);
  const out = new Float64Array(samples.length);
  let k = 0;
  for (const micro of planBatches(order, samples, batchSize, maxEdges).flat()) {
    const batch = collate(micro.map((i) => samples[i]));
    const pred = tf.tidy(() => model.forward(batch, false));
    const values = await pred.data();
    pred.dispose();
    disposeBatch(batch);
    for (let i = 0; i < values.length; i++) out[k++] = values[i] * normalizer.std + normalizer.mean;
  }
  return out;
}

/** seedrandom's generator with `{state: true}`: its state can be saved and restored (resume). */
type StatefulRng = seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

function shuffleInPlace(order: number[], rng: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}

function normalizedTargets(batch: GraphBatch, normalizer: Normalizer): tf.Tensor1D {
  return tf.div(tf.sub(batch.targets, normalizer.mean), normalizer.std) as tf.Tensor1D;
}

/**
 * Loss of one micro-batch, summed over its crystals and divided by the whole batch's size (so that micro-batch
 * gradients add up to the batch mean's), with its gradients with respect to `variables` (keyed by variable name).
 */
export function microBatchGradients(
  model: GraphModel,
  cfg: TrainingConfig,
  normalizer: Normalizer,
  batch: GraphBatch,
  variables: tf.Variable[],
  batchSize: number,
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.tidy(() => {
    const targets = normalizedTargets(batch, normalizer);
    return tf.variableGrads(
      () => tf.div(lossSum(cfg.loss, model.forward(batch, true), targets, cfg.huber_delta), batchSize) as tf.Scalar,
      variables,
    );
  });
}

/**
 * Adds a micro-batch's gradients (keyed by variable name) into the running sums (keyed by weight name via
 * `nameOf`), disposing the tensors it replaces; `null` starts the sums.
 */
export function accumulateGradients(
  acc: Map<string, tf.Tensor> | null,
  grads: tf.NamedTensorMap,
  nameOf: Map<string, string>,
): Map<string, tf.Tensor> {
  if (!acc) return new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g]));
  for (const [k, g] of Object.entries(grads)) {
    const name = nameOf.get(k)!;
    const prev = acc.get(name)!;
    acc.set(name, tf.add(prev, g));
    prev.dispose();
    g.dispose();
  }
  return acc;
}

export class Trainer {
  private readonly optimizer: Adam;
  private readonly plateau: PlateauScheduler;
  private rng: StatefulRng;
  private state: TrainerState;
  /** Edges per micro-batch on the active backend (`training.max_edges_per_batch` and the device's cap). */
  readonly maxEdges: number;

  /** `deviceCap`: the device's own micro-batch limit (train/deviceLimits.ts `deviceEdgeCap`), where it has one. */
  constructor(
    private readonly model: GraphModel,
    private readonly cfg: TrainingConfig,
    private readonly normalizer: Normalizer,
    seed: number,
    deviceCap: EdgeCap | null = null,
  ) {
    this.maxEdges = microBatchEdges(cfg.max_edges_per_batch, deviceCap);
    this.optimizer = new Adam({ lr: cfg.lr, weightDecay: cfg.optimizer === 'adamw' ? cfg.weight_decay : 0 });
    this.plateau = new PlateauScheduler(cfg.plateau_factor, cfg.plateau_patience);
    this.rng = seedrandom(String(seed), { state: true });
    this.state = {
      epoch: 0,
      lr: cfg.lr,
      bestValLoss: Infinity,
      bestEpoch: -1,
      badEpochs: 0,
      rng: this.rng.state(),
      history: [],
      optimizerStep: 0,
    };
  }

  /** Restores a snapshot written by `onEpochEnd` (weights, optimizer moments, counters, RNG). */
  restore(s: Snapshot): void {
    this.model.loadState(s.weights);
    this.optimizer.importState(s.state.optimizerStep, s.optimizer);
    this.state = { ...s.state, history: [...s.state.history] };
    this.rng = seedrandom('', { state: s.state.rng as seedrandom.State.Arc4 });
    if (s.state.plateau) this.plateau.restore(s.state.plateau);
  }

  get completedEpochs(): number {
    return this.state.epoch;
  }

  private async snapshot(): Promise<Snapshot> {
    const opt = await this.optimizer.exportState();
    return {
      state: { ...this.state, rng: this.rng.state(), plateau: this.plateau.state(), optimizerStep: opt.step },
      weights: await this.model.stateDict(),
      optimizer: opt.tensors,
    };
  }

  /** One optimiser step over a batch made of micro-batches; returns the batch's mean loss (a scalar on device). */
  private step(micro: GraphSample[][], variables: Map<string, tf.Variable>, batchSize: number): tf.Scalar {
    const list = [...variables.values()];
    const nameOf = new Map(list.map((v, i) => [v.name, [...variables.keys()][i]]));
    let acc: Map<string, tf.Tensor> | null = null;
    let total: tf.Scalar = tf.scalar(0);
    for (const members of micro) {
      const batch = collate(members);
      const { value, grads } = microBatchGradients(this.model, this.cfg, this.normalizer, batch, list, batchSize);
      disposeBatch(batch);
      const next: tf.Scalar = tf.add(total, value);
      total.dispose();
      value.dispose();
      total = next;
      acc = accumulateGradients(acc, grads, nameOf);
    }
    const gradients = acc!;
    // Clipping's factor multiplies each gradient inside the update (one kernel fewer per weight on webgpu).
    const clipScale =
      this.cfg.grad_clip === null
        ? null
        : tf.tidy(() => {
            const norm = tf.sqrt(tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g)))));
            return tf.minimum(1, tf.div(this.cfg.grad_clip!, tf.add(norm, 1e-6))) as tf.Scalar;
          });
    this.optimizer.apply(variables, gradients, clipScale);
    for (const g of gradients.values()) g.dispose();
    clipScale?.dispose();
    return total;
  }

  /** Validation loss (same loss as training, on normalised targets) and metrics in physical units. */
  async evaluate(samples: GraphSample[]): Promise<{ loss: number; metrics: Metrics; predictions: Float64Array }> {
    const predictions = await predictSamples(this.model, samples, this.normalizer, this.cfg.batch_size, this.maxEdges);
    const targets = samples.map((s) => s.target);
    const n = (y: number): number => normalize(this.normalizer, y);
    const loss = meanLoss(this.cfg.loss, predictions.map(n), targets.map(n), this.cfg.huber_delta);
    return { loss, metrics: regressionMetrics(predictions, targets), predictions };
  }

  /**
   * A model that normalises over the batch computes another function on a split batch (its statistics would be the
   * micro-batch's), so a batch above the edge cap is an error rather than a silent change of the model.
   */
  private refuseSplitBatches(plan: number[][][], train: GraphSample[]): void {
    const split = plan.find((micro) => micro.length > 1);
    if (!split) return;
    const members = split.flat();
    const edges = members.reduce((a, i) => a + sampleEdges(train[i]), 0);
    throw new InputError(
      `training.max_edges_per_batch: a batch of ${members.length} crystals has ${edges} edges, more than the ${this.maxEdges} a micro-batch may hold on ${tf.getBackend()}; ${this.model.kind} normalises over the whole batch, so its batches are never split: lower training.batch_size or raise the cap`,
    );
  }

  async fit(train: GraphSample[], val: GraphSample[] | null, hooks: TrainerHooks = {}): Promise<FitResult> {
    for (const s of train) {
      if (!Number.isFinite(s.target))
        throw new InputError(`training structure ${s.id} has target ${s.target}: targets must be finite numbers`);
    }
    const variables = this.model.trainableVariables();
    const order = train.map((_, i) => i);
    let bestWeights: Map<string, StateTensor> | null = null;
    // a resumed run that had already stopped early trains no further epoch
    let stoppedEarly = this.patienceExhausted(val);
    for (let epoch = this.state.epoch; !stoppedEarly && epoch < this.cfg.epochs; epoch++) {
      const start = performance.now();
      if (this.cfg.scheduler !== 'plateau')
        this.state.lr = scheduledLr(this.cfg.scheduler, this.cfg.lr, epoch, this.cfg.epochs);
      this.optimizer.lr = this.state.lr;
      const epochOrder = [...order];
      if (this.cfg.shuffle) shuffleInPlace(epochOrder, this.rng);
      const plan = planBatches(epochOrder, train, this.cfg.batch_size, this.maxEdges);
      if (this.model.normalisesOverBatch) this.refuseSplitBatches(plan, train);
      const losses: tf.Scalar[] = [];
      let previousStep: Promise<void> | null = null;
      for (const [b, micro] of plan.entries()) {
        losses.push(
          this.step(
            micro.map((m) => m.map((i) => train[i])),
            variables,
            micro.reduce((a, m) => a + m.length, 0),
          ),
        );
        hooks.onBatch?.(epoch, b + 1, plan.length);
        const done = deviceWorkDone();
        await previousStep;
        previousStep = done;
      }
      await previousStep;
      const stacked = tf.stack(losses);
      const lossValues = await stacked.data();
      tf.dispose([stacked, ...losses]);
      const nanBatch = lossValues.findIndex((v) => !Number.isFinite(v));
      if (nanBatch >= 0) {
        throw new InputError(
          `training diverged: loss is ${lossValues[nanBatch]} at epoch ${epoch + 1}, batch ${nanBatch + 1} of ${plan.length} (try a lower training.lr or training.grad_clip)`,
        );
      }
      let trainLoss = 0;
      plan.forEach((micro, b) => {
        trainLoss += lossValues[b] * micro.reduce((a, m) => a + m.length, 0);
      });
      trainLoss /= train.length;
      const record: EpochRecord = { epoch: epoch + 1, lr: this.state.lr, train_loss: trainLoss, seconds: 0 };
      let improved = false;
      if (val?.length) {
        const v = await this.evaluate(val);
        Object.assign(record, {
          val_loss: v.loss,
          val_mae: v.metrics.mae,
          val_rmse: v.metrics.rmse,
          val_r2: v.metrics.r2,
        });
        improved = v.loss < this.state.bestValLoss - this.cfg.min_delta;
        if (improved) {
          this.state.bestValLoss = v.loss;
          this.state.bestEpoch = epoch + 1;
          this.state.badEpochs = 0;
          bestWeights = await this.model.stateDict();
        } else {
          this.state.badEpochs += 1;
        }
        if (this.cfg.scheduler === 'plateau') this.state.lr = this.plateau.next(this.state.lr, v.loss);
      } else {
        improved = true;
        this.state.bestEpoch = epoch + 1;
      }
      record.seconds = (performance.now() - start) / 1000;
      this.state.history.push(record);
      this.state.epoch = epoch + 1;
      await hooks.onEpochEnd?.(record, () => this.snapshot(), improved);
      stoppedEarly = this.patienceExhausted(val);
    }
    return {
      history: this.state.history,
      bestEpoch: this.state.bestEpoch,
      bestValLoss: this.state.bestValLoss,
      stoppedEarly,
      bestWeights,
    };
  }

  /** Early stopping: `early_stopping_patience` epochs without a validation improvement. */
  private patienceExhausted(val: GraphSample[] | null): boolean {
    const patience = this.cfg.early_stopping_patience;
    return val !== null && val.length > 0 && patience !== null && this.state.badEpochs >= patience;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
