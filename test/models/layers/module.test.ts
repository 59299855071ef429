import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../data/errors.js';
import { Dense } from '../../../models/layers/dense.js';
import { GaussianRBF } from '../../../models/layers/radial.js';
import { ones } from '../../../models/layers/initializers.js';
import { Mlp } from '../../../models/layers/mlp.js';
import { Module, ModuleList, type StateTensor } from '../../../models/layers/module.js';
import { initBackend } from '../../../train/backend.js';

/** A toy SchNet-like tree: embedding-free, but with nesting, a ModuleList, a buffer and a frozen weight. */
class Block extends Module {
  static override className = 'Block';
  readonly in2f = this.child('in2f', new Dense(3, 4, { bias: false }));
  readonly filter = this.child('filter_network', new Mlp([2, 4, 4], 'ssp'));
}
class Toy extends Module {
  static override className = 'Toy';
  readonly rbf: GaussianRBF;
  readonly interactions: ModuleList<Block>;
  readonly scale: tf.Variable;
  constructor(shared = false) {
    super();
    this.rbf = this.child('radial_basis', new GaussianRBF(2, 5));
    const b = new Block();
    this.interactions = this.child('interactions', new ModuleList(shared ? [b, b] : [b, new Block()]));
    this.scale = this.param('scale', [1], ones, { trainable: false });
  }
}

const perBlock = 3 * 4 + (2 * 4 + 4) + (4 * 4 + 4); // 44
const names = (m: Module) => [...m.namedParameters().keys()];

test.before(async () => {
  await initBackend('cpu');
});

test('dotted upstream-style names, recursive and in registration order', () => {
  const m = new Toy();
  assert.equal(names(m), [
    'scale',
    'radial_basis.widths',
    'radial_basis.offsets',
    'interactions.0.in2f.weight',
    'interactions.0.filter_network.0.weight',
    'interactions.0.filter_network.0.bias',
    'interactions.0.filter_network.1.weight',
    'interactions.0.filter_network.1.bias',
    'interactions.1.in2f.weight',
    'interactions.1.filter_network.0.weight',
    'interactions.1.filter_network.0.bias',
    'interactions.1.filter_network.1.weight',
    'interactions.1.filter_network.1.bias',
  ]);
  assert.is(m.countParameters(), 2 * perBlock + 1); // buffers excluded
  assert.is(m.countParameters(true), 2 * perBlock); // `scale` is frozen
  assert.is(m.trainableVariables().size, 10);
  assert.is(m.interactions.length, 2);
  assert.is(m.interactions.at(1), [...m.interactions][1]);
  assert.is(m.className, 'Toy');
  m.dispose();
});

test('shared weights: both names in the state, counted and optimised once', async () => {
  const m = new Toy(true);
  const p = m.namedParameters();
  assert.is(p.get('interactions.0.in2f.weight')!.variable, p.get('interactions.1.in2f.weight')!.variable);
  assert.is(m.countParameters(), perBlock + 1);
  assert.equal(
    [...m.trainableVariables().keys()].filter((k) => k.startsWith('interactions.1')),
    [],
  );
  assert.is((await m.stateDict()).size, 13);
  m.dispose();
});

test('names are checked', () => {
  class Twice extends Module {
    constructor() {
      super();
      this.param('w', [1], ones);
      this.child('w', new Dense(1, 1));
    }
  }
  assert.throws(() => new Twice(), /"w" registered twice/);
  class Dotted extends Module {
    constructor() {
      super();
      this.param('.w', [1], ones);
    }
  }
  assert.throws(() => new Dotted(), /invalid name/);
});

test('initialize(seed): reproducible by name, independent of construction order, buffers restored', async () => {
  const a = new Toy();
  new Dense(7, 7).dispose(); // consumes the construction stream: a and b start from different draws
  const b = new Toy();
  const sa = await a.initialize(11).stateDict();
  const sb = await b.initialize(11).stateDict();
  for (const [k, t] of sa) assert.equal(Array.from(sb.get(k)!.data), Array.from(t.data), k);
  const sc = await b.initialize(12).stateDict();
  assert.not.equal(
    Array.from(sc.get('interactions.0.in2f.weight')!.data),
    Array.from(sa.get('interactions.0.in2f.weight')!.data),
  );
  // two layers with the same shape get different weights (the name is part of the seed)
  assert.not.equal(
    Array.from(sa.get('interactions.1.in2f.weight')!.data),
    Array.from(sa.get('interactions.0.in2f.weight')!.data),
  );
  assert.equal(Array.from(sa.get('radial_basis.offsets')!.data), [0, 5]);
  assert.equal(Array.from(sa.get('scale')!.data), [1]);
  a.dispose();
  b.dispose();
});

test('initialize gives bit-identical weights on cpu and wasm', async () => {
  const onCpu = await new Toy().initialize('x').stateDict();
  await initBackend('wasm');
  const m = new Toy().initialize('x');
  for (const [k, t] of await m.stateDict()) assert.equal(Array.from(t.data), Array.from(onCpu.get(k)!.data), k);
  m.dispose();
  await initBackend('cpu');
});

test('stateDict is in torch layout and loadState(stateDict()) is the identity', async () => {
  const m = new Toy().initialize(1);
  const s = await m.stateDict();
  assert.equal(s.get('interactions.0.in2f.weight')!.shape, [4, 3]); // [out, in]
  const w = (await m.interactions.at(0).in2f.weight.array()) as number[][]; // [in, out]
  const t = s.get('interactions.0.in2f.weight')!;
  assert.is(t.data[2 * 3 + 1], w[1][2]); // torch[o=2][i=1] = tf[i=1][o=2]
  const n = new Toy().initialize(2);
  const report = n.loadState(s);
  assert.is(report.loaded.length, 13);
  for (const [k, v] of await n.stateDict()) assert.equal(Array.from(v.data), Array.from(s.get(k)!.data), k);
  m.dispose();
  n.dispose();
});

test('strict loading: missing, unexpected and mis-shaped keys are InputErrors naming the key; nothing is assigned', async () => {
  const m = new Toy().initialize(1);
  const before = await m.stateDict();
  const good = await new Toy().initialize(2).stateDict();
  const expectError = (state: Map<string, StateTensor>, re: RegExp, opts = {}) => {
    try {
      m.loadState(state, opts);
      assert.unreachable('no error');
    } catch (e) {
      assert.instance(e, InputError);
      assert.match((e as Error).message, re);
    }
  };
  const missing = new Map(good);
  missing.delete('interactions.1.in2f.weight');
  expectError(missing, /missing keys: interactions\.1\.in2f\.weight/);
  const extra = new Map(good).set('interactions.2.in2f.weight', good.get('interactions.1.in2f.weight')!);
  expectError(extra, /unexpected keys: interactions\.2\.in2f\.weight/);
  const shaped = new Map(good).set('interactions.0.filter_network.0.weight', {
    shape: [4, 20],
    data: new Float32Array(80),
  });
  expectError(
    shaped,
    /"interactions\.0\.filter_network\.0\.weight": shape \[4, 20\] in the state, \[4, 2\] in the model \(PyTorch layout\)/,
  );
  // a shape error is raised even when not strict
  expectError(shaped, /shape \[4, 20\]/, { strict: false });
  for (const [k, v] of await m.stateDict())
    assert.equal(Array.from(v.data), Array.from(before.get(k)!.data), `${k} changed`);
  m.dispose();
});

test('non-strict loading reports; a prefix loads a sub-module from a whole-model state', async () => {
  const m = new Toy().initialize(1);
  const partial = new Map(await new Toy().initialize(3).stateDict());
  partial.delete('scale');
  partial.set('output_modules.0.w', { shape: [1], data: new Float32Array(1) });
  const r = m.loadState(partial, { strict: false });
  assert.equal(r.missing, ['scale']);
  assert.equal(r.unexpected, ['output_modules.0.w']);
  assert.is(r.loaded.length, 12);
  const block = new Block();
  const rb = block.loadState(partial, { prefix: 'interactions.1.' });
  assert.is(rb.loaded.length, 5);
  assert.equal(
    Array.from((await block.stateDict()).get('in2f.weight')!.data),
    Array.from(partial.get('interactions.1.in2f.weight')!.data),
  );
  m.dispose();
  block.dispose();
});

test('setTrainable freezes a subtree; dispose frees every variable', () => {
  const before = tf.memory().numTensors;
  const m = new Toy();
  m.interactions.at(0).setTrainable(false);
  assert.is(m.trainableVariables().size, 5);
  assert.is(m.countParameters(true), perBlock);
  m.setTrainable(true);
  assert.is(m.trainableVariables().size, 11); // includes the formerly frozen `scale`
  m.dispose();
  assert.is(tf.memory().numTensors, before);
});

test.run();
