import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineCutoff, cosineCutoff, polynomialEnvelope } from '../../../models/layers/cutoff.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  d: number[];
  cutoff: number;
  cosine: number[];
  poly3: number[];
  poly5: number[];
};

forEachBackend('cutoff', (t) => {
  t('docs/architectures.md §9 values', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        expectClose(await cosineCutoff(tf.tensor1d([2.5, 4.0]), 5).data(), [0.5, 0.0954915], { atol: 1e-6, rtol: 0 });
        expectClose(await polynomialEnvelope(tf.tensor1d([2.5, 4.0]), 5).data(), [0.5, 0.05792], {
          atol: 1e-6,
          rtol: 0,
        });
      }),
    );
  });

  t('float64 reference on a grid, exactly 0 at and beyond r_c', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const d = tf.tensor1d(ref.d);
        const cos = await cosineCutoff(d, ref.cutoff).data();
        expectClose(cos, ref.cosine, { atol: 1e-6, rtol: 1e-6, label: 'cosine' });
        expectClose(await polynomialEnvelope(d, ref.cutoff).data(), ref.poly3, {
          atol: 1e-6,
          rtol: 1e-6,
          label: 'p=3',
        });
        expectClose(await polynomialEnvelope(d, ref.cutoff, 5).data(), ref.poly5, {
          atol: 1e-6,
          rtol: 1e-6,
          label: 'p=5',
        });
        const outside = ref.d
          .map((v, i) => [v, i] as const)
          .filter(([v]) => v >= ref.cutoff)
          .map(([, i]) => i);
        assert.ok(outside.length === 2);
        for (const i of outside) {
          assert.is(cos[i], 0);
          assert.is((await polynomialEnvelope(d, ref.cutoff).data())[i], 0);
        }
      }),
    );
  });

  t('gradients by finite differences inside, finite and zero at r_c and beyond', async () => {
    const d = tf.tensor1d([0.5, 1.7, 3.1, 4.6]);
    expectGradcheck(await gradcheck((x) => tf.sum(tf.square(cosineCutoff(x as tf.Tensor1D, 5))), [d]), 'cosine');
    expectGradcheck(await gradcheck((x) => tf.sum(tf.square(polynomialEnvelope(x as tf.Tensor1D, 5))), [d]), 'poly');
    const edge = tf.tensor1d([4.999, 5, 7]);
    for (const f of [
      (x: tf.Tensor) => cosineCutoff(x as tf.Tensor1D, 5),
      (x: tf.Tensor) => polynomialEnvelope(x as tf.Tensor1D, 5),
    ]) {
      const g = await tf
        .grad((x: tf.Tensor) => tf.sum(f(x)))(edge)
        .data();
      assert.ok(g.every(Number.isFinite), `${g}`);
      assert.ok(Math.abs(g[0]) < 1e-2 && g[2] === 0, `${g}`);
    }
    tf.dispose([d, edge]);
  });

  t('CosineCutoff module: buffer `cutoff` [1], same values, a loaded r_c takes effect', async () => {
    const c = new CosineCutoff(5);
    assert.equal(
      [...(await c.stateDict())].map(([k, v]) => [k, v.shape, Array.from(v.data)]),
      [['cutoff', [1], [5]]],
    );
    assert.is(c.countParameters(), 0);
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const d = tf.tensor1d(ref.d);
        expectClose(await c.apply(d).data(), ref.cosine, { atol: 1e-6, rtol: 1e-6 });
        c.loadState(new Map([['cutoff', { shape: [1], data: Float32Array.from([2.5]) }]]));
        expectClose(await c.apply(tf.tensor1d([1.25, 2.5])).data(), [0.5, 0], { atol: 1e-7 });
      }),
    );
    c.dispose();
  });

  t('the polynomial exponent must be a positive integer', () => {
    assert.throws(() => polynomialEnvelope(tf.tensor1d([1]), 5, 2.5), /positive integer/);
  });
});

test.run();
