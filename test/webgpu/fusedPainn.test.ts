/**
 * The fused PaiNN message (models/layers/fusedPainn.ts) against the composed ops it replaces (EdgeFlow without edge
 * rows), both on webgpu: the scalar and vector sums and the gradients w.r.t. the context, filters, vectors μ and
 * unit vectors u within 1e-5 relative, with receivers that get no edge, occupancy weights, feature widths that are
 * not multiples of the 64-thread workgroup and edges in an order unrelated to either end. Then a tiny PaiNN, which
 * takes the fused path on webgpu, is checked for rotation/reflection equivariance of μ and invariance of its output
 * (test/helpers/symmetry.ts). Skipped, visibly, where no adapter exists (test/helpers/webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Atoms } from '../../data/structure.js';
import { disposeBatch, edgeRows } from '../../graph/batch.js';
import { PaiNN, PaiNNOptions } from '../../models/painn.js';
import { expectClose } from '../helpers/backends.js';
import { batchOfAtoms } from '../helpers/modelFixtures.js';
import {
  cartesianMatrix,
  expectEquivariant,
  expectInvariant,
  smallCrystal,
  symmetryTransforms,
  type SymmetryOptions,
} from '../helpers/symmetry.js';
import {
  dispatched,
  edgeFlowOf,
  type EdgeCase,
  manyEdges,
  orderedEdges,
  wave,
  weightedEdges,
} from '../helpers/fusedCases.js';
import { webgpuOrSkip } from '../helpers/webgpu.js';

const ready = await webgpuOrSkip('test/webgpu/fusedPainn.test.ts');

type Case = EdgeCase;

interface Result {
  scalar: Float32Array;
  vector: Float32Array;
  grads: Record<'context' | 'filters' | 'mu' | 'u', Float32Array>;
  kernels: string[];
}

/** Message sums and the gradients of Σ scalar ⊙ R + Σ vector ⊙ S, composed (no edge rows) or fused. */
async function messageWithGrads(c: Case, fused: boolean): Promise<Result> {
  const [N, F, E] = [c.numAtoms, c.features, c.sender.length];
  const { flow, dispose } = edgeFlowOf(c, fused);
  const context = tf.tensor2d(wave(N * 3 * F, 0.2), [N, 3 * F]);
  const filters = tf.tensor2d(wave(E * 3 * F, 1.1), [E, 3 * F]);
  const mu = tf.tensor3d(wave(N * 3 * F, 0.7), [N, 3, F]);
  const u = tf.tidy(() => {
    const raw = tf.tensor2d(wave(E * 3, 2.9), [E, 3]);
    return tf.div(raw, tf.norm(raw, 'euclidean', 1, true)) as tf.Tensor2D;
  });
  const R = tf.tensor2d(wave(N * F, 2.3), [N, F]);
  const S = tf.tensor3d(wave(N * 3 * F, 0.4), [N, 3, F]);
  const profile = await tf.profile(() => {
    const m = flow.equivariantMessage(context, filters, mu, u);
    tf.dispose([m.scalar, m.vector]);
  });
  const loss = (a: tf.Tensor, b: tf.Tensor, m: tf.Tensor, v: tf.Tensor) => {
    const out = flow.equivariantMessage(a as tf.Tensor2D, b as tf.Tensor2D, m as tf.Tensor3D, v as tf.Tensor2D);
    return tf.add(tf.sum(tf.mul(out.scalar, R)), tf.sum(tf.mul(out.vector, S))) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(loss)([context, filters, mu, u]);
  const out = tf.tidy(() => flow.equivariantMessage(context, filters, mu, u));
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const result: Result = {
    scalar: await read(out.scalar),
    vector: await read(out.vector),
    grads: {
      context: await read(grads[0]),
      filters: await read(grads[1]),
      mu: await read(grads[2]),
      u: await read(grads[3]),
    },
    kernels: dispatched(profile),
  };
  tf.dispose([context, filters, mu, u, R, S, value, out.scalar, out.vector, ...grads]);
  dispose();
  return result;
}

const cases: Record<string, Case> = {
  'ordered, 70 features (not a multiple of 64), atoms 3 and 6 receive nothing': orderedEdges(70),
  'occupancy-weighted, 3 features, atom 4 receives nothing and sends nothing': weightedEdges(3),
  'weighted, 43 features, 200 edges among 40 atoms (the last 5 receive nothing)': manyEdges(43),
};

/** A tiny PaiNN's μ [N, 3, F] and prediction for `atoms` and every transform of it, read asynchronously on webgpu. */
async function painnOutputs(
  model: PaiNN,
  crystal: Atoms,
  opts: SymmetryOptions,
): Promise<Map<string, { mu: Float32Array; y: Float32Array }>> {
  const out = new Map<string, { mu: Float32Array; y: Float32Array }>();
  for (const atoms of [crystal, ...symmetryTransforms(crystal, opts).map((t) => t.atoms)]) {
    const b = batchOfAtoms(atoms, { cutoff: 3.5 });
    const [mu, y] = tf.tidy(() => [model.representation.features(b).mu, model.forward(b)]);
    out.set(keyOf(atoms), { mu: (await mu.data()) as Float32Array, y: (await y.data()) as Float32Array });
    tf.dispose([mu, y]);
    disposeBatch(b);
  }
  return out;
}
const keyOf = (a: Atoms) => `${Array.from(a.numbers).join(',')}|${Array.from(a.cart).join(',')}`;

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused PaiNN message equals the composed ops, values and every gradient: ${name}`, async () => {
      const composed = await messageWithGrads(c, false);
      const fused = await messageWithGrads(c, true);
      expectClose(fused.scalar, composed.scalar, { rtol: 1e-5, atol: 1e-6, label: 'scalar' });
      expectClose(fused.vector, composed.vector, { rtol: 1e-5, atol: 1e-6, label: 'vector' });
      for (const k of ['context', 'filters', 'mu', 'u'] as const)
        expectClose(fused.grads[k], composed.grads[k], { rtol: 1e-5, atol: 1e-6, label: `d${k}` });
      for (const k of ['context', 'filters', 'mu', 'u'] as const)
        assert.ok(
          composed.grads[k].some((v) => v !== 0),
          `a non-trivial d${k}`,
        );
      assert.equal(
        fused.kernels.filter((k) => k.startsWith('CrystalGnn')).length,
        1,
        `one fused kernel forward: ${fused.kernels.join(', ')}`,
      );
      assert.ok(fused.kernels.length <= 1, `nothing else forward: ${fused.kernels.join(', ')}`);
      assert.ok(composed.kernels.length >= 8, `composed forward: ${composed.kernels.join(', ')}`);
    });
  }

  test('fused PaiNN message: an empty receiver row is exactly 0 in both sums', async () => {
    const c = cases['ordered, 70 features (not a multiple of 64), atoms 3 and 6 receive nothing'];
    const fused = await messageWithGrads(c, true);
    for (const atom of [3, 6]) {
      assert.ok(
        fused.scalar.slice(atom * 70, (atom + 1) * 70).every((v) => v === 0),
        `scalar, atom ${atom}`,
      );
      assert.ok(
        fused.vector.slice(atom * 210, (atom + 1) * 210).every((v) => v === 0),
        `vector, atom ${atom}`,
      );
    }
  });

  test('PaiNN on webgpu (fused message): μ rotates with the crystal, output invariant', async () => {
    const model = new PaiNN(
      PaiNNOptions.parse({ name: 'painn', n_atom_basis: 6, n_interactions: 2, n_rbf: 5 }),
      3.5,
    ).initialize(3);
    const crystal = smallCrystal();
    const opts: SymmetryOptions = { rtol: 1e-5 };
    const probe = batchOfAtoms(crystal, { cutoff: 3.5 });
    const profile = await tf.profile(() => tf.dispose(model.forward(probe)));
    assert.ok(dispatched(profile).includes('CrystalGnnPainnMessage'), 'the model takes the fused path');
    assert.ok(edgeRows(probe, 'src').order.shape[0] > 0, 'the crystal has edges');
    disposeBatch(probe);
    const outputs = await painnOutputs(model, crystal, opts);
    const lookup = (a: Atoms) => {
      const hit = outputs.get(keyOf(a));
      if (!hit) throw new Error('a transform not computed in advance');
      return hit;
    };
    expectEquivariant((a) => ({ data: lookup(a).mu, channels: 3, features: 6 }), cartesianMatrix, crystal, opts);
    expectInvariant((a) => lookup(a).y, crystal, opts);
    model.dispose();
  });
}

test.run();
