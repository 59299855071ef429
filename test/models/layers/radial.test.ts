import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  besselRbf,
  cgcnnGaussian,
  GaussianRBF,
  gaussianRbf,
  sphericalBesselBasis,
} from '../../../models/layers/radial.js';
import { sphericalBesselRoots } from '../../../models/layers/sphericalBessel.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

/** Float64 values from scripts/reference/layers.py (numpy/scipy). */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'layers-ref.json'), 'utf8')) as {
  d: number[];
  cutoff: number;
  gaussian: { n_rbf: number; values: number[][] };
  cgcnn: { k: number; values: number[][] };
  bessel: { nmax: number; values: number[][] };
  sbf33: number[][];
  sbf44: number[][];
  sbf_roots: number[][];
};
const rc = ref.cutoff;

test('spherical Bessel roots equal scipy brentq roots (and docs/architectures.md §6.2)', () => {
  for (let l = 0; l < 4; l++)
    expectClose(sphericalBesselRoots(l, 4), ref.sbf_roots[l], { atol: 1e-12, rtol: 0, label: `l=${l}` });
  expectClose(sphericalBesselRoots(2, 3), [5.763459, 9.095011, 12.322941], { atol: 1e-6, rtol: 0 });
});

forEachBackend('radial', (t) => {
  t('docs/architectures.md §9 values', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const g = new GaussianRBF(20, 5);
        assert.ok(Math.abs((await g.widths.data())[0] - 0.263158) < 1e-6);
        expectClose((await g.apply(tf.tensor1d([1.0])).data()).slice(0, 3), [0.000732, 0.019841, 0.197899], {
          atol: 1e-6,
          rtol: 0,
        });
        g.dispose();
        const c = await cgcnnGaussian(tf.tensor1d([1.0])).data();
        expectClose(c.slice(3, 7), [0.018316, 0.367879, 1, 0.367879], { atol: 1e-6, rtol: 0 });
        expectClose(await besselRbf(tf.tensor1d([2.5]), 2, 5).data(), [0.252982, 0], { atol: 1e-6, rtol: 0 });
        const sbf = await sphericalBesselBasis(tf.tensor1d([2.5]), 3, 3, 5).data();
        expectClose(sbf, [0.252982, 0, -0.252982, 0.252133, 0.148008, -0.205657, 0.223243, 0.245224, -0.094918], {
          atol: 1e-6,
          rtol: 0,
        });
      }),
    );
  });

  t('all bases match the float64 reference on a grid of distances (beyond r_c too)', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const d = tf.tensor1d(ref.d);
        const g = new GaussianRBF(ref.gaussian.n_rbf, rc);
        expectClose(await g.apply(d).data(), ref.gaussian.values.flat(), { atol: 2e-6, rtol: 1e-5, label: 'gaussian' });
        g.dispose();
        const c = cgcnnGaussian(d);
        assert.equal(c.shape, [ref.d.length, ref.cgcnn.k]);
        expectClose(await c.data(), ref.cgcnn.values.flat(), { atol: 2e-6, rtol: 1e-5, label: 'cgcnn' });
        expectClose(await besselRbf(d, ref.bessel.nmax, rc).data(), ref.bessel.values.flat(), {
          atol: 2e-6,
          rtol: 1e-5,
          label: 'bessel',
        });
        // j_l by upward recurrence loses ~1e-5 absolute at the smallest argument (d = 0.3), like upstream float32
        expectClose(await sphericalBesselBasis(d, 3, 3, rc).data(), ref.sbf33.flat(), {
          atol: 2e-5,
          rtol: 1e-4,
          label: 'sbf 3x3',
        });
        const s44 = sphericalBesselBasis(d, 4, 4, rc);
        assert.equal(s44.shape, [ref.d.length, 16]);
        expectClose(await s44.data(), ref.sbf44.flat(), { atol: 5e-5, rtol: 1e-4, label: 'sbf 4x4' });
      }),
    );
  });

  t('gaussianRbf with scalar width equals the vector form; GaussianRBF state names and trainable variant', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const d = tf.tensor1d([0.4, 2.2]);
        const mu = tf.tensor1d([0, 1, 2]);
        expectClose(
          await gaussianRbf(d, mu, 0.5).data(),
          await gaussianRbf(d, mu, tf.tensor1d([0.5, 0.5, 0.5])).data(),
          { atol: 1e-7 },
        );
        const fixed = new GaussianRBF(5, 4);
        assert.equal([...fixed.namedParameters().keys()], ['widths', 'offsets']);
        assert.is(fixed.countParameters(), 0);
        assert.is(fixed.trainableVariables().size, 0);
        const learn = new GaussianRBF(5, 4, { trainable: true });
        assert.is(learn.countParameters(), 10);
        fixed.dispose();
        learn.dispose();
      }),
    );
  });

  t('gradients w.r.t. d match finite differences, finite at and beyond r_c', async () => {
    const d = tf.tensor1d([0.8, 2.1, 3.3, 4.7]);
    const w = tf.randomNormal([4, 9], 0, 1, 'float32', 3);
    expectGradcheck(
      await gradcheck((x) => tf.sum(tf.mul(sphericalBesselBasis(x as tf.Tensor1D, 3, 3, rc), w)), [d]),
      'sbf',
    );
    const w3 = tf.randomNormal([4, 3], 0, 1, 'float32', 4);
    expectGradcheck(await gradcheck((x) => tf.sum(tf.mul(besselRbf(x as tf.Tensor1D, 3, rc), w3)), [d]), 'bessel');
    const g = new GaussianRBF(9, rc);
    expectGradcheck(await gradcheck((x) => tf.sum(tf.mul(g.apply(x as tf.Tensor1D), w)), [d]), 'gaussian');
    const edge = tf.tensor1d([4.9999, 5, 5.5]);
    const grad = await tf
      .grad((x: tf.Tensor) => tf.sum(sphericalBesselBasis(x as tf.Tensor1D, 3, 3, rc)))(edge)
      .data();
    assert.ok(grad.every(Number.isFinite), `non-finite gradient ${grad}`);
    assert.is(grad[2], 0, 'clamped beyond r_c: zero gradient');
    tf.dispose([d, w, w3, edge]);
    g.dispose();
  });
});

test.run();
