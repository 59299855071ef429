/**
 * Adam and AdamW written out in TF.js ops, so that they match PyTorch to the letter and the learning
 * rate can change between steps without rebuilding anything.
 *
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
 *   AdamW (decoupled):  θ ← θ(1 − lr·wd) − lr·m̂/(√v̂ + ε)          (torch.optim.AdamW)
 *   Adam:               θ ← θ − lr·m̂/(√v̂ + ε)                       (torch.optim.Adam, weight_decay 0)
 * ε sits outside the square root after bias correction, as in PyTorch; `tf.train.adam` differs there.
 * On webgpu the same update runs as two fused kernels per weight (train/fusedAdam.ts) over the moments packed as
 * [m; v]; checkpoints still hold `m.<name>` and `v.<name>`, so a run resumes on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedAdamAvailable, fusedAdamUpdate } from './fusedAdam.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW); 0 gives plain Adam. */
  weightDecay?: number;
  /** The fused webgpu update; default: where the active backend has it. false composes the ops (tests compare). */
  fused?: boolean;
}

export interface OptimizerState {
  step: number;
  /** Moments by variable name, flattened. */
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  step = 0;
  readonly fused: boolean;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** The fused form's moments, [m; v] flattened into one tensor per weight, with the weight's shape. */
  private readonly packed = new Map<string, { state: tf.Variable; shape: number[] }>();

  constructor(opts: AdamOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.fused = opts.fused ?? fusedAdamAvailable();
    if (this.fused && !fusedAdamAvailable())
      throw new Error(`the fused Adam update needs the webgpu backend, not ${tf.getBackend()}`);
  }

  /**
   * Applies one update; `grads` maps a variable's name to its gradient (same shape). `gradScale`, a scalar on
   * device (gradient clipping's factor), multiplies every gradient first.
   */
  apply(variables: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, gradScale: tf.Scalar | null = null): void {
    this.step += 1;
    const t = this.step;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    const stepSize = this.lr / c1;
    const decay = 1 - this.lr * this.weightDecay;
    if (this.fused) {
      const scalars = {
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        stepSize,
        sqrtBias2: Math.sqrt(c2),
        decay,
      };
      for (const [name, variable] of variables) {
        const g = grads.get(name);
        if (!g) continue;
        const { state } = this.packedState(name, variable);
        const next = fusedAdamUpdate(variable, state, g, scalars, gradScale);
        variable.assign(next.weight);
        state.assign(next.state);
        tf.dispose([next.weight, next.state]);
      }
      return;
    }
    tf.tidy(() => {
      for (const [name, variable] of variables) {
        const unscaled = grads.get(name);
        if (!unscaled) continue;
        const g = gradScale ? tf.mul(unscaled, gradScale) : unscaled;
        const m = this.moment(this.m, name, variable);
        const v = this.moment(this.v, name, variable);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(c2)), this.eps);
        const base = this.weightDecay > 0 ? tf.mul(variable, decay) : variable;
        variable.assign(tf.sub(base, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let s = store.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false);
      store.set(name, s);
    }
    return s;
  }

  private packedState(name: string, like: tf.Variable): { state: tf.Variable; shape: number[] } {
    let p = this.packed.get(name);
    if (!p) {
      p = { state: tf.tidy(() => tf.variable(tf.zeros([2 * like.size]), false)), shape: like.shape };
      this.packed.set(name, p);
    }
    return p;
  }

  /** Moments as plain arrays (for resumable checkpoints): `m.<name>` and `v.<name>`, the weight's shape, either form. */
  async exportState(): Promise<{ step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [prefix, store] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, t] of store)
        tensors.set(`${prefix}.${name}`, { shape: t.shape, data: (await t.data()) as Float32Array });
    }
    for (const [name, { state, shape }] of this.packed) {
      const data = (await state.data()) as Float32Array;
      const n = data.length / 2;
      tensors.set(`m.${name}`, { shape, data: data.slice(0, n) });
      tensors.set(`v.${name}`, { shape, data: data.slice(n) });
    }
    return { step: this.step, tensors };
  }

  importState(step: number, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
    this.step = step;
    for (const [key, value] of tensors) {
      const prefix = key.slice(0, 2);
      const name = key.slice(2);
      if (this.fused) {
        if (prefix !== 'm.') continue;
        const v = tensors.get(`v.${name}`);
        if (!v || v.data.length !== value.data.length)
          throw new Error(`optimizer state has m.${name} without a matching v.${name}`);
        const data = new Float32Array(2 * value.data.length);
        data.set(value.data);
        data.set(v.data, value.data.length);
        this.packed.get(name)?.state.dispose();
        this.packed.set(name, { state: tf.variable(tf.tensor1d(data), false), shape: value.shape });
        continue;
      }
      const store = prefix === 'm.' ? this.m : prefix === 'v.' ? this.v : null;
      if (!store) continue;
      store.get(name)?.dispose();
      store.set(name, tf.variable(tf.tensor(value.data, value.shape), false));
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values(), ...[...this.packed.values()].map((p) => p.state)])
      t.dispose();
    this.m.clear();
    this.v.clear();
    this.packed.clear();
  }
}

/** Learning rate of epoch `epoch` (0-based) for the schedules that depend only on the epoch. */
export function scheduledLr(kind: 'constant' | 'cosine', baseLr: number, epoch: number, totalEpochs: number): number {
  if (kind === 'constant') return baseLr;
  // torch CosineAnnealingLR(T_max = epochs, eta_min = 0), stepped once per epoch.
  return 0.5 * baseLr * (1 + Math.cos((Math.PI * epoch) / totalEpochs));
}

/** torch ReduceLROnPlateau (mode min, threshold 0): cut the rate by `factor` after `patience` bad epochs. */
export class PlateauScheduler {
  private best = Infinity;
  private bad = 0;
  constructor(
    private readonly factor: number,
    private readonly patience: number,
  ) {}

  next(lr: number, metric: number): number {
    if (metric < this.best) {
      this.best = metric;
      this.bad = 0;
      return lr;
    }
    this.bad += 1;
    if (this.bad > this.patience) {
      this.bad = 0;
      return lr * this.factor;
    }
    return lr;
  }

  state(): { best: number; bad: number } {
    return { best: this.best, bad: this.bad };
  }

  restore(s: { best: number; bad: number }): void {
    this.best = s.best;
    this.bad = s.bad;
  }
}
