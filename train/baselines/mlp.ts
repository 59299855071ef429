/**
 * sklearn `MLPRegressor` (solver adam) re-implemented in TF.js, training many models at once.
 *
 * Model: ŷ = W_L·relu(…relu(W_1·x + b_1)…) + b_L (identity output). Per mini-batch of n_b rows,
 *   loss = ½·mean_b (ŷ − y)² + (α / 2n_b)·Σ_l ‖W_l‖²   (biases not decayed),
 * so ∂/∂W_l = (a_{l−1}ᵀ δ_l + α W_l) / n_b, ∂/∂b_l = mean_b δ_l, δ_L = ŷ − y,
 * δ_{l−1} = (δ_l W_lᵀ) ⊙ 1[a_{l−1} > 0]. Adam as sklearn writes it:
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,  θ ← θ − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε).
 * Init (Glorot uniform, biases too): U(±√(6/(fan_in+fan_out))). Early stopping: a random 10 %
 * (⌈0.1·n⌉ rows) of the fit's rows is held out, R² on it is computed after every epoch; an epoch
 * counts as "no improvement" when R² < best + tol; training stops when that count exceeds
 * n_iter_no_change (or after max_iter epochs) and the weights of the best R² epoch are restored.
 *
 * Randomness follows sklearn with an integer `random_state` exactly: one legacy RandomState per
 * model draws, in order, the initial weights (W_1, b_1, W_2, … row-major), the hold-out split
 * (ShuffleSplit: first ⌈0.1·n⌉ of a permutation held out, the rest in permutation order) and each
 * epoch's shuffle (sample_idx ← sample_idx[shuffled arange]). Arithmetic is float32 (sklearn: float64).
 *
 * Speed: a "pack" of M models with the same layer sizes and batch size trains as one stacked
 * network (weights [M, fan_in, fan_out], batched matMul); per-model learning rates, batch
 * lengths, Adam step counts and stop times are masks, so a stopped model's weights freeze.
 * Weights and Adam moments are kept per layer; every update is masked per model, so there is
 * one device read per epoch (the hold-out predictions) and none per step. Finished models are
 * dropped from the pack once they are half of it. Larger nets train one per pack
 * (`defaultPackSize`), where the wasm backend's single-matrix matMul is much faster.
 */
import * as tf from '@tensorflow/tfjs';
import { trainIndices } from '../../data/folds.js';
import { RandomState } from '../../data/numpyRandom.js';
import {
  cvScore,
  meanAbsoluteError,
  parameterGrid,
  selectBest,
  type BaselineResult,
  type GridResult,
} from './gridSearch.js';
import { hash32 } from './regressionTree.js';
import { testScores, type TabularData } from './tabular.js';

/** Training settings shared by a pack (sklearn names; defaults = the OBELiX protocol §3.4). */
export interface MlpSettings {
  alpha: number;
  beta_1: number;
  beta_2: number;
  epsilon: number;
  max_iter: number;
  /** false: train for max_iter epochs (sklearn's training-loss stopping rule is not implemented). */
  early_stopping: boolean;
  validation_fraction: number;
  n_iter_no_change: number;
  tol: number;
  shuffle: boolean;
}

export const MLP_DEFAULTS: MlpSettings = {
  alpha: 1e-4,
  beta_1: 0.9,
  beta_2: 0.999,
  epsilon: 1e-8,
  max_iter: 1000,
  early_stopping: true,
  validation_fraction: 0.1,
  n_iter_no_change: 100,
  tol: 1e-4,
  shuffle: true,
};

/** One model of a pack: which rows it fits, which rows it predicts at the end, its learning rate and seed. */
export interface MlpJob {
  /** Rows of X/y to fit on, in the order sklearn would receive them. */
  trainRows: readonly number[];
  /** Rows of X to predict with the final (restored) weights. */
  evalRows: readonly number[];
  learningRate: number;
  /** sklearn `random_state` (integer in [0, 2^32)). */
  seed: number;
}

export interface MlpJobResult {
  /** Predictions for `evalRows`. */
  predictions: Float64Array;
  /** Epochs run (sklearn `n_iter_`). */
  epochs: number;
  /** Best hold-out R² (NaN without early stopping). */
  bestValidationScore: number;
  /** Final flat parameters [W_1, b_1, W_2, …] (row-major), when `keepParams` was set. */
  params?: Float32Array;
}

export interface MlpPackOptions extends Partial<MlpSettings> {
  keepParams?: boolean;
  /** Called after every epoch with the number of models still training. */
  onEpoch?: (epoch: number, running: number) => void;
}

/** Layer sizes [F, h_1, …, 1] and each weight/bias block's offset in the flat parameter row. */
interface Layout {
  units: number[];
  wOff: number[];
  bOff: number[];
  size: number;
}

function layout(nFeatures: number, hidden: readonly number[]): Layout {
  const units = [nFeatures, ...hidden, 1];
  const wOff: number[] = [];
  const bOff: number[] = [];
  let off = 0;
  for (let l = 0; l + 1 < units.length; l++) {
    wOff.push(off);
    off += units[l] * units[l + 1];
    bOff.push(off);
    off += units[l + 1];
  }
  return { units, wOff, bOff, size: off };
}

/** Number of parameters of an MLP with these layer sizes. */
export function mlpParamCount(nFeatures: number, hidden: readonly number[]): number {
  return layout(nFeatures, hidden).size;
}

/** sklearn `_init_coef` for every layer, drawn from `rs` in sklearn's order. */
function initParams(rs: RandomState, lay: Layout): Float32Array {
  const p = new Float32Array(lay.size);
  for (let l = 0; l + 1 < lay.units.length; l++) {
    const bound = Math.sqrt(6 / (lay.units[l] + lay.units[l + 1]));
    const end = l + 2 < lay.units.length ? lay.wOff[l + 1] : lay.size;
    for (let k = lay.wOff[l]; k < end; k++) p[k] = -bound + 2 * bound * rs.random();
  }
  return p;
}

/**
 * Forward pass with parameters [W_1, b_1, W_2, b_2, …] (W_l [M, K, N], b_l [M, 1, N]); returns
 * every layer's output (a_0 = x … a_L = ŷ).
 */
function forward(x: tf.Tensor3D, p: readonly tf.Tensor3D[]): tf.Tensor3D[] {
  const acts = [x];
  const L = p.length / 2;
  for (let l = 0; l < L; l++) {
    const z = tf.add(tf.matMul(acts[l], p[2 * l]), p[2 * l + 1]) as tf.Tensor3D;
    acts.push(l === L - 1 ? z : tf.relu(z));
  }
  return acts;
}

/** Host-side state of one model in a pack. */
interface JobState {
  job: MlpJob;
  rs: RandomState;
  fitRows: number[];
  valRows: number[];
  sampleIdx: number[];
  t: number;
  epochs: number;
  best: number;
  noImprove: number;
  running: boolean;
  result?: MlpJobResult;
}

function r2(pred: ArrayLike<number>, offset: number, y: readonly number[], rows: readonly number[]): number {
  let mean = 0;
  for (const i of rows) mean += y[i];
  mean /= rows.length;
  let ssRes = 0;
  let ssTot = 0;
  rows.forEach((i, k) => {
    ssRes += (y[i] - pred[offset + k]) ** 2;
    ssTot += (y[i] - mean) ** 2;
  });
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/**
 * Trains every job (same layer sizes and batch size) as one stacked network and returns, per
 * job, its predictions on `evalRows`. `X` holds all rows any job refers to; `y[i]` is read only
 * for training rows. Uses the active TF.js backend.
 */
export async function trainMlpPack(
  X: readonly (readonly number[])[],
  y: readonly number[],
  hidden: readonly number[],
  batchSize: number,
  jobs: readonly MlpJob[],
  options: MlpPackOptions = {},
): Promise<MlpJobResult[]> {
  const s: MlpSettings = { ...MLP_DEFAULTS, ...options };
  const F = X[0].length;
  const lay = layout(F, hidden);
  const P = lay.size;
  const L = lay.units.length - 1;
  if (!(batchSize >= 1)) throw new RangeError(`batch_size ${batchSize} must be ≥ 1`);
  if (hidden.some((h) => !Number.isInteger(h) || h < 1))
    throw new RangeError(`hidden_layer_sizes ${JSON.stringify(hidden)} must be positive integers`);
  const Xf = new Float32Array(X.length * F);
  X.forEach((row, i) => Xf.set(row, i * F));
  const rowOf = (i: number): Float32Array => Xf.subarray(i * F, (i + 1) * F);

  // Host-side randomness, in sklearn's order: init, split, then one shuffle per epoch.
  const inits: Float32Array[] = [];
  const states: JobState[] = jobs.map((job) => {
    const rs = new RandomState(job.seed >>> 0);
    inits.push(initParams(rs, lay));
    let fitRows = [...job.trainRows];
    let valRows: number[] = [];
    if (s.early_stopping) {
      const n = fitRows.length;
      const nVal = Math.ceil(s.validation_fraction * n);
      if (nVal < 2 || n - nVal < 1)
        throw new RangeError(`early stopping needs more rows than ${n} (hold-out of ${nVal})`);
      const perm = rs.permutation(n);
      valRows = perm.slice(0, nVal).map((k) => fitRows[k]);
      fitRows = perm.slice(nVal).map((k) => fitRows[k]);
    }
    return {
      job,
      rs,
      fitRows,
      valRows,
      sampleIdx: fitRows.map((_, k) => k),
      t: 0,
      epochs: 0,
      best: -Infinity,
      noImprove: 0,
      running: true,
    };
  });

  // Parameters as separate tensors [W_1, b_1, …] (W_l [M, K, N], b_l [M, 1, N]): slicing one
  // flat buffer per step costs more than the extra per-tensor Adam ops.
  const shapes: [number, number][] = [];
  const offsets: number[] = [];
  for (let l = 0; l < L; l++) {
    shapes.push([lay.units[l], lay.units[l + 1]], [1, lay.units[l + 1]]);
    offsets.push(lay.wOff[l], lay.bOff[l]);
  }
  let params: tf.Tensor3D[] = shapes.map(([K, N], q) => {
    const buf = new Float32Array(jobs.length * K * N);
    inits.forEach((init, m) => buf.set(init.subarray(offsets[q], offsets[q] + K * N), m * K * N));
    return tf.tensor3d(buf, [jobs.length, K, N]);
  });
  let mom = params.map((t) => tf.zerosLike(t));
  let vel = params.map((t) => tf.zerosLike(t));
  let best = params.map((t) => t.clone());
  let members = states.map((_, m) => m); // pack row → job index

  const stackRows = (rowsOf: (st: JobState) => readonly number[], width: number): tf.Tensor3D => {
    const buf = new Float32Array(members.length * width * F);
    members.forEach((j, m) => {
      rowsOf(states[j]).forEach((row, k) => buf.set(rowOf(row), (m * width + k) * F));
    });
    return tf.tensor3d(buf, [members.length, width, F]);
  };

  /** Predictions of parameters `p` for each member's `rowsOf` rows, read back to the host. */
  const predictRows = async (
    p: tf.Tensor3D[],
    rowsOf: (st: JobState) => readonly number[],
  ): Promise<{ data: Float32Array; width: number }> => {
    const width = Math.max(1, ...members.map((j) => rowsOf(states[j]).length));
    const out = tf.tidy(() => {
      const acts = forward(stackRows(rowsOf, width), p);
      return acts[acts.length - 1];
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return { data, width };
  };

  /** Records results of the members in `done` (pack rows) from the restored weights. */
  const finalize = async (done: number[]): Promise<void> => {
    if (done.length === 0) return;
    const source = s.early_stopping ? best : params;
    const { data, width } = await predictRows(source, (st) => st.job.evalRows);
    const host = options.keepParams ? ((await Promise.all(source.map((t) => t.data()))) as Float32Array[]) : undefined;
    for (const m of done) {
      const st = states[members[m]];
      let flat: Float32Array | undefined;
      if (host) {
        flat = new Float32Array(P);
        shapes.forEach(([K, N], q) => flat!.set(host[q].subarray(m * K * N, (m + 1) * K * N), offsets[q]));
      }
      st.result = {
        predictions: Float64Array.from(data.subarray(m * width, m * width + st.job.evalRows.length)),
        epochs: st.epochs,
        bestValidationScore: s.early_stopping ? st.best : NaN,
        params: flat,
      };
    }
  };

  const swap = (old: tf.Tensor[], next: tf.Tensor3D[]): tf.Tensor3D[] => {
    tf.dispose(old);
    return next;
  };

  for (let epoch = 1; epoch <= s.max_iter && members.some((j) => states[j].running); epoch++) {
    const M = members.length;
    for (const j of members) {
      const st = states[j];
      if (!st.running || !s.shuffle) continue;
      const order = st.sampleIdx.map((_, k) => k);
      st.rs.shuffle(order);
      st.sampleIdx = order.map((k) => st.sampleIdx[k]);
    }
    const steps = Math.max(
      ...members.map((j) => (states[j].running ? Math.ceil(states[j].fitRows.length / batchSize) : 0)),
    );
    for (let step = 0; step < steps; step++) {
      const xb = new Float32Array(M * batchSize * F);
      const yb = new Float32Array(M * batchSize);
      const wb = new Float32Array(M * batchSize);
      const alphaScale = new Float32Array(M);
      const a1 = new Float32Array(M);
      const a2 = new Float32Array(M);
      const lrt = new Float32Array(M);
      members.forEach((j, m) => {
        const st = states[j];
        const start = step * batchSize;
        const n = st.fitRows.length;
        if (!st.running || start >= n) return; // inactive this step: zero rates leave m, v, θ unchanged
        const nb = Math.min(batchSize, n - start);
        for (let k = 0; k < nb; k++) {
          const row = st.fitRows[st.sampleIdx[start + k]];
          xb.set(rowOf(row), (m * batchSize + k) * F);
          yb[m * batchSize + k] = y[row];
          wb[m * batchSize + k] = 1 / nb;
        }
        st.t++;
        alphaScale[m] = s.alpha / nb;
        a1[m] = 1 - s.beta_1;
        a2[m] = 1 - s.beta_2;
        lrt[m] = (st.job.learningRate * Math.sqrt(1 - s.beta_2 ** st.t)) / (1 - s.beta_1 ** st.t);
      });
      const next = tf.tidy(() => {
        const acts = forward(tf.tensor3d(xb, [M, batchSize, F]), params);
        let delta = tf.mul(tf.sub(acts[L], tf.tensor3d(yb, [M, batchSize, 1])), tf.tensor3d(wb, [M, batchSize, 1]));
        const aS = tf.tensor3d(alphaScale, [M, 1, 1]);
        const grads: tf.Tensor3D[] = new Array(2 * L);
        for (let l = L - 1; l >= 0; l--) {
          const W = params[2 * l];
          // Explicit transposes: the wasm backend's fast (XNNPACK) matMul path takes no transpose flags.
          grads[2 * l] = tf.add(tf.matMul(tf.transpose(acts[l], [0, 2, 1]), delta), tf.mul(W, aS));
          grads[2 * l + 1] = tf.sum(delta, 1, true);
          if (l > 0) delta = tf.mul(tf.matMul(delta, tf.transpose(W, [0, 2, 1])), tf.step(acts[l]));
        }
        const A1 = tf.tensor3d(a1, [M, 1, 1]);
        const A2 = tf.tensor3d(a2, [M, 1, 1]);
        const LR = tf.tensor3d(lrt, [M, 1, 1]);
        const out: tf.Tensor3D[][] = [[], [], []];
        grads.forEach((g, q) => {
          const mNew: tf.Tensor3D = tf.add(mom[q], tf.mul(tf.sub(g, mom[q]), A1));
          const vNew: tf.Tensor3D = tf.add(vel[q], tf.mul(tf.sub(tf.square(g), vel[q]), A2));
          out[0].push(tf.sub(params[q], tf.mul(tf.div(mNew, tf.add(tf.sqrt(vNew), s.epsilon)), LR)));
          out[1].push(mNew);
          out[2].push(vNew);
        });
        return out;
      });
      params = swap(params, next[0]);
      mom = swap(mom, next[1]);
      vel = swap(vel, next[2]);
    }

    // End of epoch: hold-out R², best-weight bookkeeping, stopping.
    if (s.early_stopping) {
      const { data, width } = await predictRows(params, (st) => st.valRows);
      const improved = new Float32Array(M);
      members.forEach((j, m) => {
        const st = states[j];
        if (!st.running) return;
        st.epochs = epoch;
        // A non-finite score (diverged weights) counts as no improvement; sklearn would raise instead.
        const score = r2(data, m * width, y, st.valRows);
        if (!(score >= st.best + s.tol)) st.noImprove++;
        else st.noImprove = 0;
        if (score > st.best) {
          st.best = score;
          improved[m] = 1;
        }
        if (st.noImprove > s.n_iter_no_change) st.running = false;
      });
      if (improved.some((v) => v)) {
        best = swap(
          best,
          tf.tidy(() => {
            const mask = tf.tensor3d(improved, [M, 1, 1]);
            return best.map((b, q) => tf.add(b, tf.mul(tf.sub(params[q], b), mask)));
          }),
        );
      }
    } else {
      for (const j of members) if (states[j].running) states[j].epochs = epoch;
    }
    if (epoch === s.max_iter) for (const j of members) states[j].running = false;
    await finalize(members.map((j, m) => (!states[j].running && !states[j].result ? m : -1)).filter((m) => m >= 0));
    options.onEpoch?.(epoch, members.filter((j) => states[j].running).length);

    // Drop finished models once they are at least half the pack, so they stop costing compute.
    const keep = members.map((j, m) => (states[j].running ? m : -1)).filter((m) => m >= 0);
    if (keep.length > 0 && keep.length <= M / 2) {
      const idx = tf.tensor1d(keep, 'int32');
      const take = (ts: tf.Tensor3D[]): tf.Tensor3D[] =>
        swap(
          ts,
          ts.map((t) => tf.gather(t, idx)),
        );
      params = take(params);
      mom = take(mom);
      vel = take(vel);
      best = take(best);
      idx.dispose();
      members = keep.map((m) => members[m]);
    }
  }
  await finalize(members.map((j, m) => (states[j].result ? -1 : m)).filter((m) => m >= 0));
  tf.dispose([...params, ...mom, ...vel, ...best]);
  return states.map((st) => st.result!);
}

/** Hyperparameters under their sklearn names. */
export interface MlpParams {
  hidden_layer_sizes: readonly number[];
  learning_rate_init: number;
  batch_size: number;
}

export interface MlpGrid {
  hidden_layer_sizes: readonly (readonly number[])[];
  learning_rate_init: readonly number[];
  batch_size: readonly number[];
}

const rep = (w: number, n: number): number[] => Array.from({ length: n }, () => w);

/** The paper's full grid: 16 · 5 · 3 = 240 sets (docs/protocol.md §3.4). */
export const MLP_PAPER_GRID: MlpGrid = {
  hidden_layer_sizes: [
    rep(16, 2),
    rep(32, 2),
    rep(64, 2),
    rep(128, 2),
    rep(256, 2),
    rep(16, 3),
    rep(32, 3),
    rep(64, 3),
    rep(128, 3),
    rep(256, 3),
    rep(16, 4),
    rep(32, 4),
    rep(64, 4),
    rep(128, 4),
    rep(256, 4),
    rep(64, 5),
  ],
  learning_rate_init: [0.003, 0.01, 0.03, 0.1, 0.3],
  batch_size: [16, 32, 64],
};

/**
 * How many models share one stacked network. Stacking removes per-op overhead but the stacked
 * (batched) matMul is a slow kernel on the TF.js backends, while a single model's matMul on wasm
 * runs through XNNPACK; measured crossover ≈ 1e5 parameters × batch rows (see bench numbers in
 * scripts/baselines.ts). Small nets stack 25 at a time, the rest train one by one.
 */
export function defaultPackSize(nFeatures: number, hidden: readonly number[], batchSize: number): number {
  return mlpParamCount(nFeatures, hidden) * batchSize <= 1e5 ? 25 : 1;
}

export interface MlpSearchOptions extends Partial<MlpSettings> {
  grid?: MlpGrid;
  seed?: number;
  /** Models per stacked network; default `defaultPackSize`. */
  packSize?: (hidden: readonly number[], batchSize: number) => number;
  log?: (line: string) => void;
}

/** Per-grid-point extras of the MLP search. */
export interface MlpGridResult extends GridResult<MlpParams> {
  /** Mean epochs run per fold. */
  epochs: number;
}

/**
 * The MLP row of Table 2: every grid point on `data.folds` (models with equal layer sizes and batch
 * size trained together), best by mean CV MAE, refit on all training rows (with its own internal
 * 10 % hold-out, as sklearn), test MAE on all test rows and on those with a CIF.
 */
export async function runMlpSearch(
  data: TabularData,
  opts: MlpSearchOptions = {},
): Promise<Omit<BaselineResult<MlpParams>, 'grid'> & { grid: MlpGridResult[] }> {
  const start = performance.now();
  const gridSpace = opts.grid ?? MLP_PAPER_GRID;
  const seed = opts.seed ?? 0;
  const points = parameterGrid(
    gridSpace as unknown as Record<keyof MlpParams, readonly unknown[]>,
  ) as unknown as MlpParams[];
  const nTrain = data.train.y.length;
  const X = [...data.train.X, ...data.test.X];
  const y = [...data.train.y, ...data.test.y.map(() => NaN)];
  const F = X[0].length;
  const jobSeed = (point: number, fold: number): number => hash32((Math.imul(seed, 1000003) + point * 64 + fold) >>> 0);
  const packSizeOf = opts.packSize ?? ((h: readonly number[], bs: number) => defaultPackSize(F, h, bs));
  const settings: Partial<MlpSettings> = { ...opts };

  const foldMae = points.map(() => new Array<number>(data.folds.length).fill(NaN));
  const foldEpochs = points.map(() => new Array<number>(data.folds.length).fill(0));
  const groups = new Map<string, number[]>();
  points.forEach((p, i) => {
    const key = JSON.stringify([p.hidden_layer_sizes, p.batch_size]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const members of groups.values()) {
    const t0 = performance.now();
    const { hidden_layer_sizes: hidden, batch_size: bs } = points[members[0]];
    const jobs: { point: number; fold: number; job: MlpJob }[] = [];
    for (const i of members) {
      data.folds.forEach((val, f) => {
        jobs.push({
          point: i,
          fold: f,
          job: {
            trainRows: trainIndices(val, nTrain),
            evalRows: val,
            learningRate: points[i].learning_rate_init,
            seed: jobSeed(i, f),
          },
        });
      });
    }
    const size = Math.max(1, packSizeOf(hidden, bs));
    let epochs = 0;
    for (let k = 0; k < jobs.length; k += size) {
      const pack = jobs.slice(k, k + size);
      const results = await trainMlpPack(
        X,
        y,
        hidden,
        bs,
        pack.map((j) => j.job),
        settings,
      );
      results.forEach((r, q) => {
        const { point, fold, job } = pack[q];
        foldMae[point][fold] = meanAbsoluteError(
          r.predictions,
          job.evalRows.map((row) => y[row]),
        );
        foldEpochs[point][fold] = r.epochs;
        epochs += r.epochs;
      });
    }
    const secs = (performance.now() - t0) / 1000;
    opts.log?.(
      `mlp ${JSON.stringify(hidden)} bs ${bs}: ${jobs.length} fits, ${epochs} epochs, ${secs.toFixed(1)} s ` +
        `(${((1000 * secs) / epochs).toFixed(1)} ms/epoch); CV MAE by lr ${members.map((i) => cvScore(foldMae[i]).cvMae.toFixed(3)).join(' ')}`,
    );
  }
  const grid: MlpGridResult[] = points.map((params, i) => ({
    params,
    ...cvScore(foldMae[i]),
    epochs: foldEpochs[i].reduce((a, b) => a + b, 0) / foldEpochs[i].length,
  }));
  const best = selectBest(grid);
  const testRows = data.test.y.map((_, i) => nTrain + i);
  const [refit] = await trainMlpPack(
    X,
    y,
    best.params.hidden_layer_sizes,
    best.params.batch_size,
    [
      {
        trainRows: Array.from({ length: nTrain }, (_, i) => i),
        evalRows: testRows,
        learningRate: best.params.learning_rate_init,
        seed: jobSeed(points.length, 0),
      },
    ],
    settings,
  );
  opts.log?.(`mlp refit ${JSON.stringify(best.params)}: ${refit.epochs} epochs`);
  return {
    name: 'mlp',
    foldMae: best.foldMae,
    cvMae: best.cvMae,
    cvSd: best.cvSd,
    ...testScores(refit.predictions, data.test),
    best: best.params,
    grid,
    seconds: (performance.now() - start) / 1000,
  };
}
