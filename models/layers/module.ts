/**
 * The module contract every layer and model builds on (docs/testing.md): weights registered once with an explicit
 * initialiser, children under dotted names equal to the upstream PyTorch state-dict keys
 * (`interactions.0.filter_network.0.weight`), state IO in PyTorch layout, strict loading that names the key.
 *
 * Initialisation. At construction, weights are drawn from one process-wide seeded stream (deterministic for a
 * given construction order). `initialize(seed)` redraws every weight from seedrandom(`${seed}:${name}`), so a
 * model's init depends only on the seed and each weight's dotted name: not on the backend, not on the order
 * modules were built, and a re-initialised head (`reset_head`) does not disturb the rest.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../data/errors.js';
import { fromValues, makeRng, sizeOf, type Initializer } from './initializers.js';

/** One tensor in PyTorch layout (row-major), as stored in safetensors. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

export interface ParamEntry {
  variable: tf.Variable;
  /** `param`: a weight (counted, optimised unless frozen); `buffer`: state such as RBF centres, never optimised. */
  kind: 'param' | 'buffer';
  /** A dense kernel kept [in, out] here and [out, in] in PyTorch, so state IO transposes it. */
  torchLinear: boolean;
  init: Initializer;
}

export interface LoadReport {
  loaded: string[];
  /** Model keys absent from the state (allowed only with `strict: false`). */
  missing: string[];
  /** State keys (under the prefix) the model does not have (allowed only with `strict: false`). */
  unexpected: string[];
}

const constructionRng = makeRng('crystal-gnn');

function torchShape(e: ParamEntry): number[] {
  const s = e.variable.shape as number[];
  return e.torchLinear ? [s[1], s[0]] : s.slice();
}

/** [rows, cols] row-major → [cols, rows]. */
function transpose2d(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function newVariable(data: Float32Array, shape: number[], trainable: boolean): tf.Variable {
  const t = tf.tensor(data, shape, 'float32');
  const v = tf.variable(t, trainable);
  t.dispose(); // the variable holds its own reference to the data
  return v;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

export abstract class Module {
  static className = 'Module';
  private readonly own = new Map<string, ParamEntry>();
  private readonly children = new Map<string, Module>();

  /** `static className` of the concrete class (survives minification, unlike `constructor.name`). */
  get className(): string {
    return (this.constructor as typeof Module).className;
  }

  /** Constructor arguments, for checkpoints and `model.json`-style descriptions. */
  getConfig(): Record<string, unknown> {
    return {};
  }

  /** Registers a weight, drawn from `init` (shape in TF.js layout: kernels [in, out], see `torchLinear`). */
  protected param(
    name: string,
    shape: number[],
    init: Initializer,
    opts: { trainable?: boolean; torchLinear?: boolean } = {},
  ): tf.Variable {
    if (opts.torchLinear && shape.length !== 2)
      throw new Error(`${this.className}.${name}: torchLinear needs a 2-D kernel, got ${fmt(shape)}`);
    const variable = newVariable(init(shape, constructionRng), shape, opts.trainable ?? true);
    return this.register(name, { variable, kind: 'param', torchLinear: opts.torchLinear ?? false, init });
  }

  /** Registers non-trainable state (BatchNorm running stats, RBF centres); `initialize` restores `value`. */
  protected buffer(name: string, value: { shape: number[]; data: ArrayLike<number> }): tf.Variable {
    const shape = value.shape;
    const data = Float32Array.from(value.data);
    const init = fromValues(data);
    const variable = newVariable(init(shape, constructionRng), shape, false);
    return this.register(name, { variable, kind: 'buffer', torchLinear: false, init });
  }

  /** Registers a sub-module under `name` (may contain dots, e.g. `layers.0`) and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children.set(name, m);
    return m;
  }

  private register(name: string, entry: ParamEntry): tf.Variable {
    this.checkName(name);
    this.own.set(name, entry);
    return entry.variable;
  }

  private checkName(name: string): void {
    if (!name || name.startsWith('.') || name.endsWith('.'))
      throw new Error(`${this.className}: invalid name "${name}"`);
    if (this.own.has(name) || this.children.has(name)) throw new Error(`${this.className}: "${name}" registered twice`);
  }

  /**
   * Every weight and buffer under its dotted name, in registration order. A module registered twice (shared
   * weights) appears under both names with the same variable, as in a PyTorch state dict.
   */
  namedParameters(prefix = ''): Map<string, ParamEntry> {
    const out = new Map<string, ParamEntry>();
    for (const [k, e] of this.own) out.set(prefix + k, e);
    for (const [k, m] of this.children) for (const [kk, e] of m.namedParameters(`${prefix}${k}.`)) out.set(kk, e);
    return out;
  }

  /** Weights the optimiser updates, by their first dotted name (shared weights once). */
  trainableVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    const seen = new Set<tf.Variable>();
    for (const [k, e] of this.namedParameters()) {
      if (e.kind !== 'param' || !e.variable.trainable || seen.has(e.variable)) continue;
      seen.add(e.variable);
      out.set(k, e.variable);
    }
    return out;
  }

  /** Freezes (false) or unfreezes (true) every weight of this module and its children; buffers stay frozen. */
  setTrainable(trainable: boolean): this {
    for (const e of this.namedParameters().values()) if (e.kind === 'param') e.variable.trainable = trainable;
    return this;
  }

  /** Number of weight elements (buffers excluded, shared weights once), as `sum(p.numel() for p in parameters())`. */
  countParameters(trainableOnly = false): number {
    const seen = new Set<tf.Variable>();
    let n = 0;
    for (const e of this.namedParameters().values()) {
      if (e.kind !== 'param' || seen.has(e.variable) || (trainableOnly && !e.variable.trainable)) continue;
      seen.add(e.variable);
      n += e.variable.size;
    }
    return n;
  }

  /** Redraws every weight from seedrandom(`${seed}:${dotted name}`) and restores buffers to their initial values. */
  initialize(seed: number | string): this {
    for (const [k, e] of this.namedParameters()) {
      const shape = e.variable.shape as number[];
      tf.tidy(() => e.variable.assign(tf.tensor(e.init(shape, makeRng(`${seed}:${k}`)), shape, 'float32')));
    }
    return this;
  }

  /**
   * All weights and buffers in PyTorch layout (kernels transposed to [out, in]). Reads back from the device in one
   * transfer (every weight flattened into one tensor), asynchronously: WebGPU in Node has no synchronous read.
   */
  async stateDict(): Promise<Map<string, StateTensor>> {
    const entries = [...this.namedParameters()];
    const out = new Map<string, StateTensor>();
    if (entries.length === 0) return out;
    const flat = tf.tidy(() => tf.concat(entries.map(([, e]) => tf.reshape(e.variable, [-1]))));
    const all = (await flat.data()) as Float32Array;
    flat.dispose();
    let at = 0;
    for (const [k, e] of entries) {
      const s = e.variable.shape as number[];
      const data = all.subarray(at, at + e.variable.size);
      at += e.variable.size;
      out.set(k, {
        shape: torchShape(e),
        data: e.torchLinear ? transpose2d(data, s[0], s[1]) : Float32Array.from(data),
      });
    }
    return out;
  }

  /**
   * Loads a PyTorch-layout state. With `prefix`, the model key `k` is read from `prefix + k` and only state keys
   * starting with `prefix` can be unexpected (load `representation.` into the representation alone). Every key is
   * checked before anything is assigned: a shape mismatch always throws (naming the key and both shapes), missing
   * or unexpected keys throw when `strict` (default true).
   */
  loadState(state: Map<string, StateTensor>, opts: { strict?: boolean; prefix?: string } = {}): LoadReport {
    const strict = opts.strict ?? true;
    const prefix = opts.prefix ?? '';
    const expected = this.namedParameters();
    const report: LoadReport = { loaded: [], missing: [], unexpected: [] };
    const errors: string[] = [];
    for (const [k, e] of expected) {
      const t = state.get(prefix + k);
      if (!t) {
        report.missing.push(prefix + k);
        continue;
      }
      const want = torchShape(e);
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
        errors.push(`"${prefix + k}": shape ${fmt(t.shape)} in the state, ${fmt(want)} in the model (PyTorch layout)`);
      } else if (t.data.length !== sizeOf(want)) {
        errors.push(`"${prefix + k}": ${t.data.length} values for shape ${fmt(want)}`);
      }
    }
    for (const k of state.keys())
      if (k.startsWith(prefix) && !expected.has(k.slice(prefix.length))) report.unexpected.push(k);
    if (errors.length) throw new InputError(`cannot load state into ${this.className}: ${errors.join('; ')}`);
    if (strict && (report.missing.length || report.unexpected.length)) {
      const parts = [];
      if (report.missing.length) parts.push(`missing keys: ${report.missing.join(', ')}`);
      if (report.unexpected.length) parts.push(`unexpected keys: ${report.unexpected.join(', ')}`);
      throw new InputError(`cannot load state into ${this.className} (strict): ${parts.join('; ')}`);
    }
    for (const [k, e] of expected) {
      const t = state.get(prefix + k);
      if (!t) continue;
      const s = e.variable.shape as number[];
      const data = e.torchLinear ? transpose2d(t.data, s[1], s[0]) : t.data;
      tf.tidy(() => e.variable.assign(tf.tensor(data, s, 'float32')));
      report.loaded.push(prefix + k);
    }
    return report;
  }

  /** Frees every variable of this module and its children (a shared child only once). */
  dispose(): void {
    for (const e of this.namedParameters().values()) if (!e.variable.isDisposed) e.variable.dispose();
  }
}

/** Children at `0`, `1`, … like `torch.nn.ModuleList` (`interactions.0.…`). The same module twice = shared weights. */
export class ModuleList<M extends Module> extends Module {
  static override className = 'ModuleList';
  readonly items: readonly M[];

  constructor(items: M[]) {
    super();
    items.forEach((m, i) => this.child(String(i), m));
    this.items = items.slice();
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList: index ${i} out of range (length ${this.items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * n blocks built by `make`, or one block repeated n times when `share` is set (weight sharing across interaction
 * blocks; SchNetPack's `replicate_module`).
 */
export function replicate<M extends Module>(make: () => M, n: number, share: boolean): M[] {
  const first = make();
  return Array.from({ length: n }, (_, k) => (share || k === 0 ? first : make()));
}
