/**
 * The fused node-wise Clebsch–Gordan product (models/layers/fusedTensorProduct.ts, reached through `tensorProduct`
 * on webgpu) against the composed ops it replaces (`tensorProductSlices` on unstacked channels), both on webgpu:
 * values and the gradients w.r.t. both inputs within 1e-5 relative, for l_max 0 to 3, feature widths that are not
 * multiples of the 64-thread workgroup, and one tensor as both inputs (its two gradients summed). Skipped, visibly,
 * where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clebschGordan, tensorProduct, tensorProductSlices } from '../../models/layers/clebschGordan.js';
import { numChannels } from '../../models/layers/sphericalHarmonics.js';
import { expectClose } from '../helpers/backends.js';
import { dispatched, wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fusedTensorProduct.test.ts');

interface Case {
  lmax: number;
  atoms: number;
  features: number;
  /** TP(x, x ⊙ 0.7): one tensor behind both inputs. */
  shared?: boolean;
}

/** The composed form; for l_max 0 the plain product (TF.js's unstack of one channel has no working gradient). */
const composed = (a: tf.Tensor3D, b: tf.Tensor3D, lmax: number) =>
  lmax === 0
    ? (tf.mul(a, b) as tf.Tensor3D)
    : (tf.stack(tensorProductSlices(tf.unstack(a, 1), tf.unstack(b, 1), clebschGordan(lmax)), 1) as tf.Tensor3D);

/** TP and the gradients of Σ TP ⊙ R w.r.t. both inputs, fused or composed. */
async function productWithGrads(c: Case, fused: boolean) {
  const [N, S, F] = [c.atoms, numChannels(c.lmax), c.features];
  const cg = clebschGordan(c.lmax);
  const tp = (a: tf.Tensor3D, b: tf.Tensor3D) => (fused ? tensorProduct(a, b, cg) : composed(a, b, c.lmax));
  const a = tf.tensor3d(wave(N * S * F, 0.3), [N, S, F]);
  const b = tf.tensor3d(wave(N * S * F, 1.9), [N, S, F]);
  const R = tf.tensor3d(wave(N * S * F, 2.6), [N, S, F]);
  const profile = await tf.profile(() => tf.tidy(() => void tp(a, b)));
  const loss = c.shared
    ? (x: tf.Tensor) => tf.sum(tf.mul(tp(x as tf.Tensor3D, tf.mul(x, 0.7) as tf.Tensor3D), R)) as tf.Scalar
    : (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tp(x as tf.Tensor3D, y as tf.Tensor3D), R)) as tf.Scalar;
  const { value, grads } = tf.valueAndGrads(loss)(c.shared ? [a] : [a, b]);
  const out = tf.tidy(() => tp(a, b));
  const result = {
    value: (await out.data()) as Float32Array,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    kernels: dispatched(profile),
  };
  tf.dispose([a, b, R, value, out, ...grads]);
  return result;
}

const cases: Record<string, Case> = {
  'l_max 1 (OBELiX), 70 features, 5 atoms': { lmax: 1, atoms: 5, features: 70 },
  'l_max 0 (a ⊙ b), 3 features, 7 atoms': { lmax: 0, atoms: 7, features: 3 },
  'l_max 2, 5 features, 9 atoms': { lmax: 2, atoms: 9, features: 5 },
  'l_max 3, 2 features, 4 atoms': { lmax: 3, atoms: 4, features: 2 },
  'l_max 1, one tensor as both inputs, 33 features, 6 atoms': { lmax: 1, atoms: 6, features: 33, shared: true },
};

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused tensor product equals the composed ops, values and every gradient: ${name}`, async () => {
      const before = tf.memory().numTensors;
      const want = await productWithGrads(c, false);
      const got = await productWithGrads(c, true);
      assert.is(tf.memory().numTensors, before, 'no tensor left behind');
      expectClose(got.value, want.value, { rtol: 1e-5, atol: 1e-6, label: 'TP' });
      assert.is(got.grads.length, want.grads.length);
      got.grads.forEach((g, k) => {
        expectClose(g, want.grads[k], { rtol: 1e-5, atol: 1e-6, label: `d${'ab'[k]}` });
        assert.ok(
          want.grads[k].some((v) => v !== 0),
          `a non-trivial d${'ab'[k]}`,
        );
      });
      assert.equal(got.kernels, ['CrystalGnnTensorProduct'], 'one kernel forward');
      assert.ok(want.kernels.length >= (c.lmax === 0 ? 1 : 4), `composed forward: ${want.kernels.join(', ')}`);
    });
  }
}

test.run();
