import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { GatedMlp } from '../../../models/layers/gatedMlp.js';
import { expectClose, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheckVariables } from '../../helpers/gradcheck.js';

const silu = (x: number): number => x / (1 + Math.exp(-x));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

forEachBackend('GatedMlp', (test) => {
  test('one bias-free layer: SiLU(x·A) ⊙ σ(x·G), hand-computed', async () => {
    const m = new GatedMlp([2, 1], false);
    assert.equal([...(await m.stateDict()).keys()], ['layers.0.weight', 'gates.0.weight']);
    m.loadState(
      new Map([
        ['layers.0.weight', { shape: [1, 2], data: Float32Array.from([0.5, -1]) }],
        ['gates.0.weight', { shape: [1, 2], data: Float32Array.from([2, 1]) }],
      ]),
    );
    const y = await tidyAsync(
      async () =>
        await m
          .apply(
            tf.tensor2d([
              [1, 2],
              [-3, 0.5],
            ]),
          )
          .data(),
    );
    expectClose(y, [silu(0.5 - 2) * sigmoid(2 + 2), silu(-1.5 - 0.5) * sigmoid(-6 + 0.5)]);
    m.dispose();
  });

  test('three layers: MatGL key layout (layers/gates .0 .2 .4), SiLU on every value layer, σ ends the gate', async () => {
    const m = new GatedMlp([3, 4, 4, 2]).initialize(1);
    assert.equal(
      [...(await m.stateDict()).keys()].filter((k) => k.endsWith('weight')),
      ['layers.0.weight', 'layers.2.weight', 'layers.4.weight', 'gates.0.weight', 'gates.2.weight', 'gates.4.weight'],
    );
    assert.is(m.countParameters(), 2 * (3 * 4 + 4 + 4 * 4 + 4 + 4 * 2 + 2));
    const s = await m.stateDict();
    const lin = (k: string, x: number[]): number[] => {
      const w = s.get(`${k}.weight`)!,
        b = s.get(`${k}.bias`)!.data;
      return Array.from({ length: w.shape[0] }, (_, o) =>
        x.reduce((a, v, i) => a + v * w.data[o * w.shape[1] + i], b[o]),
      );
    };
    const x = [0.3, -1.2, 0.8];
    let v = x,
      g = x;
    for (const k of [0, 2, 4]) {
      v = lin(`layers.${k}`, v).map(silu);
      g = lin(`gates.${k}`, g).map(k === 4 ? sigmoid : silu);
    }
    expectClose(
      await tidyAsync(async () => await m.apply(tf.tensor2d([x])).data()),
      v.map((vi, i) => vi * g[i]),
      { atol: 1e-6 },
    );
    const input = tf.tensor2d([
      [0.3, -1.2, 0.8],
      [1, 0.5, -0.2],
    ]);
    expectGradcheck(
      await gradcheckVariables(
        () => tf.sum(tf.square(m.apply(input))) as tf.Scalar,
        [...m.trainableVariables().values()],
      ),
    );
    input.dispose();
    m.dispose();
  });
});
