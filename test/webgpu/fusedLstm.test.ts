/**
 * Set2Set's fused LSTM cell (models/layers/fusedLstm.ts) against the composed cell it replaces (`lstmCell`,
 * models/layers/set2set.ts), both on webgpu: h' and c', and the gradients w.r.t. the pre-activations z and the cell
 * state c within 1e-5 relative, for one cell with a loss on both outputs and for two chained cells with a loss on the
 * last h only (c' then reaches the loss through h' and through the next cell), with pre-activations up to ±4 and
 * widths that are not multiples of the 64-thread workgroup. Skipped, visibly, where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fusedLstmCell } from '../../models/layers/fusedLstm.js';
import { lstmCell } from '../../models/layers/set2set.js';
import { expectClose } from '../helpers/backends.js';
import { dispatched, wave } from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fusedLstm.test.ts');

interface Case {
  batch: number;
  hidden: number;
  /** Two cells in a row (the second reads the first's c' and pre-activations z + 0.5), loss on the last h only. */
  chained?: boolean;
}

type Cell = (z: tf.Tensor2D, c: tf.Tensor2D) => { h: tf.Tensor2D; c: tf.Tensor2D };

async function cellWithGrads(k: Case, fused: boolean) {
  const [B, H] = [k.batch, k.hidden];
  const cell: Cell = fused ? (z, c) => fusedLstmCell(z, c)! : lstmCell;
  const z = tf.tensor2d(wave(B * 4 * H, 0.9, 4), [B, 4 * H]);
  const c = tf.tensor2d(wave(B * H, 2.1, 1.5), [B, H]);
  const R1 = tf.tensor2d(wave(B * H, 0.2), [B, H]);
  const R2 = tf.tensor2d(wave(B * H, 1.7), [B, H]);
  const profile = await tf.profile(() => tf.tidy(() => void cell(z, c)));
  const loss = (zi: tf.Tensor, ci: tf.Tensor) => {
    const first = cell(zi as tf.Tensor2D, ci as tf.Tensor2D);
    if (!k.chained) return tf.add(tf.sum(tf.mul(first.h, R1)), tf.sum(tf.mul(first.c, R2))) as tf.Scalar;
    const second = cell(tf.add(zi, 0.5) as tf.Tensor2D, first.c);
    return tf.sum(tf.mul(second.h, R1)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(loss)([z, c]);
  const out = tf.tidy(() => {
    const r = cell(z, c);
    return [r.h, r.c];
  });
  const result = {
    h: (await out[0].data()) as Float32Array,
    c: (await out[1].data()) as Float32Array,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
    kernels: dispatched(profile),
  };
  tf.dispose([z, c, R1, R2, value, ...out, ...grads]);
  return result;
}

const cases: Record<string, Case> = {
  '3 crystals, 70 hidden, loss on h and c': { batch: 3, hidden: 70 },
  '1 crystal, 5 hidden, loss on h and c': { batch: 1, hidden: 5 },
  'two chained cells, 4 crystals, 33 hidden, loss on the last h': { batch: 4, hidden: 33, chained: true },
};

if (ready) {
  for (const [name, k] of Object.entries(cases)) {
    test(`fused LSTM cell equals the composed cell, values and both gradients: ${name}`, async () => {
      const before = tf.memory().numTensors;
      const want = await cellWithGrads(k, false);
      const got = await cellWithGrads(k, true);
      assert.is(tf.memory().numTensors, before, 'no tensor left behind');
      expectClose(got.h, want.h, { rtol: 1e-5, atol: 1e-6, label: "h'" });
      expectClose(got.c, want.c, { rtol: 1e-5, atol: 1e-6, label: "c'" });
      got.grads.forEach((g, i) => {
        expectClose(g, want.grads[i], { rtol: 1e-5, atol: 1e-6, label: `d${'zc'[i]}` });
        assert.ok(
          want.grads[i].some((v) => v !== 0),
          `a non-trivial d${'zc'[i]}`,
        );
      });
      assert.equal(got.kernels, ['CrystalGnnLstmCell', 'CrystalGnnLstmHidden'], 'two kernels forward');
      assert.ok(want.kernels.length >= 10, `composed forward: ${want.kernels.join(', ')}`);
    });
  }
}

test.run();
