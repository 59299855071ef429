/**
 * The fused Adam/AdamW update (train/fusedAdam.ts), both on webgpu: the hand-computed two steps of
 * test/train/optim.test.ts (bias correction, decoupled decay, ε outside the root), a float64 host reference and the
 * composed ops over several steps with a changing learning rate and a clip scale, the exported moments, resume in
 * either direction between the two forms, a Trainer run resumed on webgpu and on cpu from a fused snapshot, two
 * dispatches per weight and no leaked tensors.
 * Skipped, visibly, where no adapter exists (test/helpers/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latticeFromParameters, fracToCart } from '../../data/lattice.js';
import { fitNormalizer } from '../../data/normalizer.js';
import type { GraphSample } from '../../graph/batch.js';
import { buildNeighbors, toSample } from '../../graph/featurize.js';
import { buildModel } from '../../models/build.js';
import { initBackend } from '../../train/backend.js';
import { RunSchema, validateConfig } from '../../train/config.js';
import { Adam, type AdamOptions } from '../../train/optim.js';
import { Trainer, type Snapshot } from '../../train/trainer.js';
import { expectClose } from '../helpers/backends.js';
import { wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/adam.test.ts');

/** Weights of several ranks; 70 and 24 values are not multiples of the 64-thread workgroup. */
const SHAPES: Record<string, number[]> = { kernel: [5, 14], bias: [5], cube: [2, 3, 4], single: [1] };
const LRS = [0.1, 0.05, 0.02, 0.08];

/** Gradient of weight `name` at step t (1-based): sign changes between steps, several magnitudes. */
const gradValues = (name: string, t: number) =>
  wave(
    SHAPES[name].reduce((a, b) => a * b, 1),
    0.7 * t + name.length,
  ).map((x) => x * (t % 2 ? 1 : -0.5) * 10 ** ((name.length % 3) - 1));

interface Run {
  weights: Map<string, Float32Array>;
  state: Map<string, { shape: number[]; data: Float32Array }>;
  step: number;
}

/** `steps` updates from the weights `wave(n, 0)` (or `start`'s), lr LRS[t], optional clip scale 0.6 from step 2 on. */
async function train(opts: Omit<AdamOptions, 'lr'>, steps: number, scaled: boolean, start?: Run): Promise<Run> {
  const variables = new Map(
    Object.entries(SHAPES).map(([name, shape]) => [
      name,
      tf.variable(
        tf.tensor(
          start?.weights.get(name) ??
            wave(
              shape.reduce((a, b) => a * b, 1),
              0,
            ),
          shape,
        ),
      ),
    ]),
  );
  const opt = new Adam({ lr: LRS[0], ...opts });
  if (start) opt.importState(start.step, start.state);
  const first = opt.step + 1;
  for (let t = first; t < first + steps; t++) {
    opt.lr = LRS[(t - 1) % LRS.length];
    const grads = new Map(Object.entries(SHAPES).map(([name, shape]) => [name, tf.tensor(gradValues(name, t), shape)]));
    const scale = scaled && t >= 2 ? tf.scalar(0.6) : null;
    opt.apply(variables, grads, scale);
    tf.dispose([...grads.values(), ...(scale ? [scale] : [])]);
  }
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of variables) weights.set(name, (await v.data()) as Float32Array);
  const { step, tensors } = await opt.exportState();
  opt.dispose();
  tf.dispose([...variables.values()]);
  return { weights, state: tensors, step };
}

/** PyTorch's Adam/AdamW in float64 on the host, the same schedule as `train`. */
function hostReference(weightDecay: number, steps: number, scaled: boolean): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const theta = wave(n, 0);
    const m = new Array<number>(n).fill(0);
    const v = new Array<number>(n).fill(0);
    for (let t = 1; t <= steps; t++) {
      const lr = LRS[(t - 1) % LRS.length];
      const g = gradValues(name, t).map((x) => x * (scaled && t >= 2 ? 0.6 : 1));
      for (let i = 0; i < n; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const mHat = m[i] / (1 - 0.9 ** t);
        const vHat = v[i] / (1 - 0.999 ** t);
        theta[i] = theta[i] * (1 - lr * weightDecay) - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
    out.set(name, theta);
  }
  return out;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, label: string) =>
  expectClose(a, b, { rtol: 1e-6, atol: 1e-7, label });

if (ready) {
  /** Two steps on one scalar θ₀ = 1 with gradients 2 then −1, lr 0.1 (test/train/optim.test.ts's hand case). */
  async function twoSteps(opts: { weightDecay?: number; eps?: number }): Promise<number[]> {
    const p = tf.variable(tf.tensor1d([1]));
    const opt = new Adam({ lr: 0.1, ...opts });
    assert.ok(opt.fused, 'webgpu takes the fused update by default');
    const out: number[] = [];
    for (const grad of [2, -1]) {
      const g = tf.tensor1d([grad]);
      opt.apply(new Map([['p', p]]), new Map([['p', g]]));
      g.dispose();
      out.push((await p.data())[0]);
    }
    opt.dispose();
    p.dispose();
    return out;
  }

  test('fused Adam and AdamW by hand: two steps, bias correction, decoupled decay, ε outside the root', async () => {
    const second = (0.1 * (8 / 19)) / Math.sqrt(4996 / 1999); // see test/train/optim.test.ts
    close(await twoSteps({}), [0.9, 0.9 - second], 'Adam');
    close(await twoSteps({ weightDecay: 0.5 }), [0.95 - 0.1, (0.95 - 0.1) * 0.95 - second], 'AdamW');
    // ε = 1: step 1 is 0.1·2/(√4 + 1) (0.1·2/√5 inside the root); step 2: m̂ = 8/19, √v̂ = √(4996/1999)
    close(
      await twoSteps({ eps: 1 }),
      [1 - 0.2 / 3, 1 - 0.2 / 3 - (0.1 * (8 / 19)) / (Math.sqrt(4996 / 1999) + 1)],
      'Adam, ε = 1',
    );
  });

  for (const [label, weightDecay] of [
    ['Adam', 0],
    ['AdamW', 0.01],
  ] as const) {
    for (const scaled of [false, true]) {
      test(`fused ${label}${scaled ? ' with a clip scale' : ''}: 6 steps, changing lr, equal to the composed ops and a float64 reference`, async () => {
        const fused = await train({ weightDecay }, 6, scaled);
        const composed = await train({ weightDecay, fused: false }, 6, scaled);
        const reference = hostReference(weightDecay, 6, scaled);
        for (const name of Object.keys(SHAPES)) {
          close(fused.weights.get(name)!, composed.weights.get(name)!, `${name} vs composed`);
          close(fused.weights.get(name)!, reference.get(name)!, `${name} vs float64`);
        }
        assert.equal([...fused.state.keys()].sort(), [...composed.state.keys()].sort());
        for (const [key, { shape, data }] of composed.state) {
          assert.equal(fused.state.get(key)!.shape, shape, `${key} shape`);
          close(fused.state.get(key)!.data, data, key);
        }
        assert.is(fused.step, 6);
      });
    }
  }

  test('resume: exported moments carry over between the fused and the composed update, either way', async () => {
    const straight = await train({ weightDecay: 0.01 }, 6, false);
    for (const [first, second] of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const half = await train({ weightDecay: 0.01, fused: first }, 3, false);
      const resumed = await train({ weightDecay: 0.01, fused: second }, 3, false, half);
      assert.is(resumed.step, 6);
      for (const name of Object.keys(SHAPES))
        close(
          resumed.weights.get(name)!,
          straight.weights.get(name)!,
          `${name}, ${first ? 'fused' : 'composed'} then ${second ? 'fused' : 'composed'}`,
        );
      for (const [key, { data }] of straight.state) close(resumed.state.get(key)!.data, data, key);
    }
  });

  /** Six small crystals (Li, O, and one more element), graphs within 3.5 Å, a smooth target. */
  const crystals = (): GraphSample[] =>
    Array.from({ length: 6 }, (_, k) => {
      const a = 3.3 + 0.15 * k;
      const lattice = latticeFromParameters(a, a + 0.3, a + 0.1, 88 + k, 90, 97 - k);
      const frac = Float64Array.from(wave(9, k).map((x) => (x + 1.2) / 2.5));
      const atoms = {
        id: `c${k}`,
        lattice,
        numbers: Int32Array.from([3, 8, 3 + (k % 3) * 5]),
        frac,
        cart: fracToCart(lattice, frac),
      };
      return toSample(atoms, buildNeighbors(atoms, { cutoff: 3.5 }), -3 + a + 0.2 * (k % 3));
    });

  test('Trainer (AdamW, clipping): the epoch-2 snapshot of a fused run resumes to the same end on webgpu and on cpu', async () => {
    const base = RunSchema.parse({ model: { name: 'schnet' } });
    const config = validateConfig(
      {
        ...base,
        backend: 'webgpu',
        graph: { cutoff: 3.5 },
        model: { name: 'schnet', n_atom_basis: 8, n_interactions: 1, n_rbf: 6 },
        training: {
          ...base.training,
          batch_size: 3,
          epochs: 4,
          early_stopping_patience: null,
          optimizer: 'adamw',
          weight_decay: 0.01,
          lr: 0.01,
          grad_clip: 0.5,
        },
      },
      'test',
    );
    const samples = crystals();
    const normalizer = fitNormalizer(
      samples.map((s) => s.target),
      'mean',
    );
    const fit = async (
      from: Snapshot | null,
    ): Promise<{ losses: number[]; weights: Map<string, Float32Array>; atEpoch2: Snapshot | null }> => {
      const model = buildModel(config);
      const trainer = new Trainer(model, config.training, normalizer, config.seed);
      if (from) trainer.restore(from);
      // a copy: a snapshot shares the live history array (the run directory writes it out at once)
      let atEpoch2: Snapshot | null = null;
      const r = await trainer.fit(samples, null, {
        onEpochEnd: async (rec, snapshot) => {
          if (rec.epoch === 2) atEpoch2 = structuredClone(await snapshot());
        },
      });
      const weights = new Map([...(await model.stateDict())].map(([k, t]) => [k, Float32Array.from(t.data)]));
      trainer.dispose();
      model.dispose();
      return { losses: r.history.map((h) => h.train_loss), weights, atEpoch2 };
    };
    const straight = await fit(null);
    const snapshot = straight.atEpoch2!;
    // the checkpoint format of the composed form: m.<name> and v.<name>, one value per weight value
    const moments = [...snapshot.optimizer.keys()].filter((k) => k.startsWith('m.')).map((k) => k.slice(2));
    assert.ok(moments.length > 5, `moments of ${moments.length} weights`);
    for (const name of moments) {
      const size = snapshot.weights.get(name)!.data.length;
      assert.is(snapshot.optimizer.get(`m.${name}`)!.data.length, size, `m.${name}`);
      assert.is(snapshot.optimizer.get(`v.${name}`)?.data.length, size, `v.${name}`);
    }
    const onWebgpu = await fit(snapshot);
    await initBackend('cpu');
    const onCpu = await fit(snapshot);
    await initBackend('webgpu');
    for (const [label, resumed, rtol] of [
      ['webgpu', onWebgpu, 1e-5],
      ['cpu', onCpu, 1e-4],
    ] as const) {
      expectClose(resumed.losses, straight.losses, { rtol, atol: 0, label: `${label} losses` });
      for (const [name, w] of straight.weights)
        expectClose(resumed.weights.get(name)!, w, { rtol, atol: 1e-6, label: `${label} ${name}` });
    }
  });

  test('fused update: two dispatches per weight, no leaked tensors', async () => {
    const variables = new Map(Object.entries(SHAPES).map(([name, shape]) => [name, tf.variable(tf.zeros(shape))]));
    const grads = new Map(Object.entries(SHAPES).map(([name, shape]) => [name, tf.ones(shape)]));
    const opt = new Adam({ lr: 0.01, weightDecay: 0.01 });
    opt.apply(variables, grads);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => opt.apply(variables, grads));
    for (let i = 0; i < 3; i++) opt.apply(variables, grads);
    assert.is(tf.memory().numTensors, before);
    const ran = profile.kernels.map((k) => k.name).filter((n) => n && n !== 'Reshape');
    assert.equal(
      ran,
      Object.keys(SHAPES).flatMap(() => ['CrystalGnnAdamMoments', 'CrystalGnnAdamWeight']),
    );
    opt.dispose();
    tf.dispose([...variables.values(), ...grads.values()]);
  });
}

test.run();
