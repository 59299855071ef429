/**
 * SO3Net's fused per-degree gate (models/layers/fusedDegreeGate.ts) against the composed ops it replaces
 * (x ⊙ σ(expandDegrees(h)), models/so3net.ts), both on webgpu: values and the gradients w.r.t. x and h within 1e-5
 * relative, for l_max 0 to 3, feature widths that are not multiples of the 64-thread workgroup and gates of both
 * signs up to |h| ≈ 6 (σ' small and large). Skipped, visibly, where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fusedDegreeGate } from '../../models/layers/fusedDegreeGate.js';
import { numChannels } from '../../models/layers/sphericalHarmonics.js';
import { expandDegrees } from '../../models/so3net.js';
import { expectClose } from '../helpers/backends.js';
import { dispatched, wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fusedDegreeGate.test.ts');

interface Case {
  lmax: number;
  atoms: number;
  features: number;
}

/** The gate and the gradients of Σ y ⊙ R w.r.t. x and h, fused or composed. */
async function gateWithGrads(c: Case, fused: boolean) {
  const [N, S, L, F] = [c.atoms, numChannels(c.lmax), c.lmax + 1, c.features];
  const gate = (x: tf.Tensor3D, h: tf.Tensor3D) =>
    fused ? fusedDegreeGate(x, h)! : (tf.mul(x, tf.sigmoid(expandDegrees(h, c.lmax))) as tf.Tensor3D);
  const x = tf.tensor3d(wave(N * S * F, 0.5), [N, S, F]);
  const h = tf.tensor3d(wave(N * L * F, 1.4, 6), [N, L, F]);
  const R = tf.tensor3d(wave(N * S * F, 2.2), [N, S, F]);
  const profile = await tf.profile(() => tf.tidy(() => void gate(x, h)));
  const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gate(a as tf.Tensor3D, b as tf.Tensor3D), R)) as tf.Scalar;
  const { value, grads } = tf.valueAndGrads(loss)([x, h]);
  const out = tf.tidy(() => gate(x, h));
  const result = {
    value: (await out.data()) as Float32Array,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    kernels: dispatched(profile),
  };
  tf.dispose([x, h, R, value, out, ...grads]);
  return result;
}

const cases: Record<string, Case> = {
  'l_max 1 (OBELiX), 70 features, 5 atoms': { lmax: 1, atoms: 5, features: 70 },
  'l_max 0, 3 features, 7 atoms': { lmax: 0, atoms: 7, features: 3 },
  'l_max 2, 5 features, 9 atoms': { lmax: 2, atoms: 9, features: 5 },
  'l_max 3, 2 features, 4 atoms': { lmax: 3, atoms: 4, features: 2 },
};

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused degree gate equals the composed ops, values and both gradients: ${name}`, async () => {
      const before = tf.memory().numTensors;
      const want = await gateWithGrads(c, false);
      const got = await gateWithGrads(c, true);
      assert.is(tf.memory().numTensors, before, 'no tensor left behind');
      expectClose(got.value, want.value, { rtol: 1e-5, atol: 1e-6, label: 'y' });
      got.grads.forEach((g, k) => {
        expectClose(g, want.grads[k], { rtol: 1e-5, atol: 1e-6, label: `d${'xh'[k]}` });
        assert.ok(
          want.grads[k].some((v) => v !== 0),
          `a non-trivial d${'xh'[k]}`,
        );
      });
      assert.equal(got.kernels, ['CrystalGnnDegreeGate'], 'one kernel forward');
      assert.ok(want.kernels.length >= 3, `composed forward: ${want.kernels.join(', ')}`);
    });
  }

  test('fused degree gate: shapes outside its case are left to the composed ops', () =>
    tf.tidy(() => {
      const x = tf.zeros([2, 4, 3]) as tf.Tensor3D;
      assert.is(fusedDegreeGate(x, tf.zeros([2, 3, 3]) as tf.Tensor3D), null, 'l_max 2 gates for l_max 1 channels');
      assert.is(fusedDegreeGate(x, tf.zeros([2, 2, 4]) as tf.Tensor3D), null, 'feature widths differ');
    }));
}

test.run();
