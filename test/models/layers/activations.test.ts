import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../data/errors.js';
import { activation, activationNames, silu, softplus, ssp } from '../../../models/layers/activations.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

/** torch.nn.functional values in float64 (scripts/reference/layers.py), x from −100 to 80. */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  x: number[];
  softplus: number[];
  ssp: number[];
  silu: number[];
};

forEachBackend('activations', (t) => {
  t('softplus, ssp and silu equal torch, stable for large |x|', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const x = tf.tensor1d(ref.x);
        expectClose(await softplus(x).data(), ref.softplus, { atol: 1e-7, rtol: 1e-6, label: 'softplus' });
        expectClose(await ssp(x).data(), ref.ssp, { atol: 1e-7, rtol: 1e-6, label: 'ssp' });
        expectClose(await silu(x).data(), ref.silu, { atol: 1e-7, rtol: 1e-6, label: 'silu' });
        assert.is((await ssp(tf.scalar(0)).data())[0], 0);
        const g = await tf
          .grad((v: tf.Tensor) => tf.sum(softplus(v)))(x)
          .data();
        assert.is(g[g.length - 1], 1);
        expectClose(
          g,
          ref.x.map((v) => 1 / (1 + Math.exp(-v))),
          { atol: 1e-7, rtol: 1e-6, label: 'softplus′ = σ' },
        );
        const gs = await tf
          .grad((v: tf.Tensor) => tf.sum(silu(v)))(x)
          .data();
        expectClose(
          gs,
          ref.x.map((v) => {
            const s = 1 / (1 + Math.exp(-v));
            return s * (1 + v * (1 - s));
          }),
          { atol: 1e-6, rtol: 1e-5, label: 'silu′' },
        );
        assert.equal(
          Array.from(
            await tf
              .grad((v: tf.Tensor) => tf.sum(silu(v)))(tf.tensor1d([2e7, -2e7]))
              .data(),
          ),
          [1, 0],
          'silu′ far out',
        );
        assert.ok(g.every(Number.isFinite));
      }),
    );
  });

  t('gradients match finite differences', async () => {
    const x = tf.tensor1d([-3, -0.5, 0.2, 1.4, 4]);
    for (const name of activationNames)
      expectGradcheck(await gradcheck((v) => tf.sum(tf.square(activation(name)(v))), [x]), name);
    x.dispose();
  });
});

test('lookup: aliases resolve, unknown names list the valid ones', () => {
  assert.is(activation('swish'), activation('silu'));
  assert.is(activation('shifted_softplus'), activation('ssp'));
  try {
    activation('gelu');
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match(
      (e as Error).message,
      /unknown activation "gelu"; valid names: ssp, shifted_softplus, silu, swish, softplus, sigmoid, tanh, relu, identity/,
    );
  }
});

test.run();
