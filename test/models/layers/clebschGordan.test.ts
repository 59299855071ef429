import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import * as assert from 'uvu/assert';
import { clebschGordan, tensorProduct } from '../../../models/layers/clebschGordan.js';
import { numChannels, sphericalHarmonicsAt } from '../../../models/layers/sphericalHarmonics.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../../helpers/backends.js';
import { expectGradcheck, gradcheck } from '../../helpers/gradcheck.js';
import { randomRotation, sphericalChannelMatrix } from '../../helpers/symmetry.js';

const rng = seedrandom('cg');
const randn = (n: number) => Array.from({ length: n }, () => Math.fround(2 * rng() - 1));
const S3 = Math.sqrt(3);

forEachBackend('clebschGordan', (test) => {
  test('l_max 1: exactly the 10 documented nonzeros, in row-major order', () => {
    const cg = clebschGordan(1);
    const rows = cg.c.map((c, k) => [cg.s1[k], cg.s2[k], cg.s[k], c]);
    const want = [
      [0, 0, 0, 1],
      [0, 1, 1, 1],
      [0, 2, 2, 1],
      [0, 3, 3, 1],
      [1, 0, 1, 1],
      [1, 1, 0, -1 / S3],
      [2, 0, 2, 1],
      [2, 2, 0, -1 / S3],
      [3, 0, 3, 1],
      [3, 3, 0, -1 / S3],
    ];
    assert.is(rows.length, 10);
    rows.forEach((r, k) => expectClose(r, want[k], { atol: 1e-14, rtol: 0, label: `entry ${k}` }));
  });

  test('l_max 2: 83 nonzeros and the documented spot values; l_max 3 extends it', () => {
    const cg = clebschGordan(2);
    assert.is(cg.c.length, 83);
    const at = (a: number, b: number, s: number) =>
      cg.c[cg.c.findIndex((_, k) => cg.s1[k] === a && cg.s2[k] === b && cg.s[k] === s)];
    expectClose(
      [at(1, 1, 8), at(3, 3, 8), at(2, 2, 6), at(4, 4, 0), at(6, 6, 6)],
      [-Math.SQRT1_2, Math.SQRT1_2, 0.816497, 0.447214, -0.534522],
      { atol: 1e-6, rtol: 0 },
    );
    assert.is(at(1, 2, 3), undefined, 'the odd-parity 1⊗1→1 path is absent');
    assert.ok(clebschGordan(3).c.length > 83);
    assert.throws(() => clebschGordan(4), /l_max/);
  });

  test('tensor product, l_max 1: the closed form TP₀ = a₀b₀ − a·b/√3, TP_m = a₀b_m + a_m b₀', async () => {
    const n = 3,
      f = 2;
    const a = randn(n * 4 * f),
      b = randn(n * 4 * f);
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      const A = (s: number, x: number) => a[(i * 4 + s) * f + x],
        B = (s: number, x: number) => b[(i * 4 + s) * f + x];
      for (let s = 0; s < 4; s++)
        for (let x = 0; x < f; x++) {
          want.push(
            s === 0
              ? A(0, x) * B(0, x) - (A(1, x) * B(1, x) + A(2, x) * B(2, x) + A(3, x) * B(3, x)) / S3
              : A(0, x) * B(s, x) + A(s, x) * B(0, x),
          );
        }
    }
    await expectNoLeakAsync(() =>
      tidyAsync(async () => {
        const got = tensorProduct(tf.tensor3d(a, [n, 4, f]), tf.tensor3d(b, [n, 4, f]), clebschGordan(1));
        expectClose(await got.data(), want, { atol: 1e-6, rtol: 0 });
      }),
    );
  });

  test('tensor product is equivariant: TP(Da, Db) = D·TP(a, b) for proper and improper rotations, l_max 2 and 3', async () => {
    for (const lmax of [2, 3]) {
      const s = numChannels(lmax),
        n = 2,
        f = 3;
      const cg = clebschGordan(lmax);
      const dOf = sphericalChannelMatrix((u) => sphericalHarmonicsAt(u, lmax));
      for (const improper of [false, true]) {
        const d = dOf(randomRotation(rng, improper));
        await tidyAsync(async () => {
          // D acting on axis 1: [N, S, F] → [S, N·F], D·x, back.
          const rot = (x: tf.Tensor3D) =>
            tf.transpose(
              tf.reshape(tf.matMul(tf.tensor2d(d), tf.reshape(tf.transpose(x, [1, 0, 2]), [s, n * f])), [s, n, f]),
              [1, 0, 2],
            ) as tf.Tensor3D;
          const a = tf.tensor3d(randn(n * s * f), [n, s, f]),
            b = tf.tensor3d(randn(n * s * f), [n, s, f]);
          const lhs = await tensorProduct(rot(a), rot(b), cg).data();
          const rhs = await rot(tensorProduct(a, b, cg)).data();
          expectClose(lhs, rhs, { atol: 2e-5, rtol: 0, label: `l_max ${lmax}, improper ${improper}` });
        });
      }
    }
  });

  test('gradient of the tensor product (finite differences)', async () => {
    const a = tf.tensor3d(randn(2 * 9 * 2), [2, 9, 2]),
      b = tf.tensor3d(randn(2 * 9 * 2), [2, 9, 2]);
    const w = tf.tensor3d(randn(2 * 9 * 2), [2, 9, 2]);
    expectGradcheck(
      await gradcheck(
        (x, y) => tf.sum(tf.mul(tensorProduct(x as tf.Tensor3D, y as tf.Tensor3D, clebschGordan(2)), w)) as tf.Scalar,
        [a, b],
      ),
    );
    tf.dispose([a, b, w]);
  });
});
