import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import {
  degreeOf,
  numChannels,
  sphericalHarmonics,
  sphericalHarmonicsAt,
  zonalCoefficients,
  zonalHarmonics,
} from '../../../models/layers/sphericalHarmonics.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { fixturesDir } from '../../helpers/paths.js';

const ref = JSON.parse(readFileSync(join(fixturesDir, 'so3-ref.json'), 'utf8')) as {
  lmax: number;
  vectors: number[][];
  values: number[][];
};

// docs/architectures.md §9: Y of (0.36, 0.48, 0.8) for l ≤ 2.
const DOC = [0.282095, 0.234529, 0.390882, 0.175897, 0.188792, 0.419539, 0.29016, 0.314654, -0.055064];

forEachBackend('sphericalHarmonics', (test) => {
  test('channel bookkeeping', () => {
    assert.is(numChannels(1), 4);
    assert.is(numChannels(3), 16);
    assert.equal([0, 1, 3, 4, 8, 9, 15].map(degreeOf), [0, 1, 1, 2, 2, 3, 3]);
  });

  test('host float64 values equal scipy (complex Y_lm made real) to 1e-13, l ≤ 3, and the documented values', () => {
    ref.vectors.forEach((v, k) =>
      expectClose(sphericalHarmonicsAt(v as [number, number, number], ref.lmax), ref.values[k], {
        atol: 1e-13,
        rtol: 0,
        label: `vector ${k}`,
      }),
    );
    expectClose(sphericalHarmonicsAt([0.36, 0.48, 0.8], 2), DOC, { atol: 5e-7, rtol: 0, label: 'doc' });
    const c = Math.sqrt(3 / (4 * Math.PI));
    expectClose(sphericalHarmonicsAt([0.6, 0, 0.8], 1), [1 / (2 * Math.sqrt(Math.PI)), 0, 0.8 * c, 0.6 * c], {
      atol: 1e-15,
      rtol: 0,
    });
  });

  test('tensor version equals the reference (float32), lmax 1 is a prefix of lmax 3', async () => {
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const u = tf.tensor2d(ref.vectors);
        const y3 = sphericalHarmonics(u, 3);
        assert.equal(y3.shape, [ref.vectors.length, 16]);
        expectClose(await y3.data(), ref.values.flat(), { atol: 2e-6, rtol: 0 });
        expectClose(
          await sphericalHarmonics(u, 1).data(),
          ref.values.flatMap((r) => r.slice(0, 4)),
          { atol: 2e-6, rtol: 0 },
        );
        expectClose(
          await sphericalHarmonics(u, 0).data(),
          ref.values.map((r) => r[0]),
          { atol: 1e-7, rtol: 0 },
        );
      }),
    );
  });

  test('orthonormal on the sphere (Fibonacci-lattice quadrature, 4000 points)', () => {
    const n = 4000,
      s = 16;
    const gram = new Float64Array(s * s);
    for (let k = 0; k < n; k++) {
      const z = 1 - (2 * k + 1) / n,
        r = Math.sqrt(1 - z * z),
        phi = k * Math.PI * (3 - Math.sqrt(5));
      const y = sphericalHarmonicsAt([r * Math.cos(phi), r * Math.sin(phi), z], 3);
      for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) gram[i * s + j] += (y[i] * y[j] * 4 * Math.PI) / n;
    }
    expectClose(
      gram,
      Array.from({ length: s * s }, (_, k) => (k % (s + 1) === 0 ? 1 : 0)),
      { atol: 2e-3, rtol: 0 },
    );
  });

  test('gradient w.r.t. the vectors (finite differences)', async () => {
    const u = tf.tensor2d(ref.vectors.slice(0, 4));
    const w = tf.tensor2d(
      Array.from({ length: 4 * 16 }, (_, k) => Math.sin(k)),
      [4, 16],
    );
    expectGradcheck(
      await gradcheck((x) => tf.sum(tf.mul(sphericalHarmonics(x as tf.Tensor2D, 3), w)) as tf.Scalar, [u]),
    );
    tf.dispose([u, w]);
  });

  test('zonal harmonics: Y_l0(cos θ) as polynomials equal the general Y at (0, 0, cos θ); Y_20 = √(5/16π)(3z² − 1)', async () => {
    const c = zonalCoefficients(3);
    expectClose(
      c.map((row) => row[2]),
      [-Math.sqrt(5 / (16 * Math.PI)), 0, 3 * Math.sqrt(5 / (16 * Math.PI)), 0],
      { atol: 1e-15, rtol: 0, label: 'Y_20' },
    );
    const cosines = [-1, -0.73, -0.2, 0, 0.31, 0.999, 1];
    const zonal = zonalHarmonics(tf.tensor1d(cosines), 3);
    const full = sphericalHarmonics(
      tf.tensor2d(
        cosines.flatMap((z) => [Math.sqrt(1 - z * z), 0, z]),
        [cosines.length, 3],
      ),
      3,
    );
    const m0 = tf.gather(full, [0, 2, 6, 12], 1);
    expectClose(await zonal.data(), await m0.data(), { atol: 2e-6, rtol: 0, label: 'l ≤ 3' });
    expectClose(
      await zonal.data(),
      cosines.flatMap((z) => [0, 1, 2, 3].map((l) => sphericalHarmonicsAt([0, 0, z], 3)[l * l + l])),
      { atol: 2e-6, rtol: 0 },
    );
    tf.dispose([zonal, full, m0]);
    for (const lmax of [0, 1]) {
      const low = zonalHarmonics(tf.tensor1d(cosines), lmax);
      assert.equal(low.shape, [cosines.length, lmax + 1]);
      expectClose(
        await low.data(),
        cosines.flatMap((z) => [0, 1].slice(0, lmax + 1).map((l) => sphericalHarmonicsAt([0, 0, z], 1)[l * l + l])),
        { atol: 2e-6, rtol: 0, label: `l ≤ ${lmax}` },
      );
      low.dispose();
    }
  });
});
