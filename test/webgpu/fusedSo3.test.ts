/**
 * The fused SO3Net convolution (models/layers/fusedSo3.ts) against the composed ops it replaces (EdgeFlow without
 * edge rows), both on webgpu: values and the gradients w.r.t. the features x, the filters and the harmonics within
 * 1e-5 relative, for l_max 1 (OBELiX's SO3Net) and 2, with receivers that get no edge, occupancy weights and feature
 * widths that are not multiples of the 64-thread workgroup. Then a tiny SO3Net, which takes the fused path on webgpu,
 * is checked for invariance of its output (test/helpers/symmetry.ts). Skipped, visibly, where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Atoms } from '../../data/structure.js';
import { disposeBatch } from '../../graph/batch.js';
import { clebschGordan } from '../../models/layers/clebschGordan.js';
import { numChannels } from '../../models/layers/sphericalHarmonics.js';
import { SO3Net, SO3NetOptions } from '../../models/so3net.js';
import { expectClose } from '../helpers/backends.js';
import { batchOfAtoms } from '../helpers/modelFixtures.js';
import { expectInvariant, smallCrystal, symmetryTransforms, type SymmetryOptions } from '../helpers/symmetry.js';
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

const ready = await webgpuOrSkip('test/webgpu/fusedSo3.test.ts');

interface Case extends EdgeCase {
  lmax: number;
}

interface Result {
  value: Float32Array;
  grads: Record<'x' | 'filters' | 'harmonics', Float32Array>;
  kernels: string[];
}

/** The convolution and the gradients of Σ y ⊙ R, composed (no edge rows) or fused. */
async function convolveWithGrads(c: Case, fused: boolean): Promise<Result> {
  const [N, F, E, S, L] = [c.numAtoms, c.features, c.sender.length, numChannels(c.lmax), c.lmax + 1];
  const cg = clebschGordan(c.lmax);
  const { flow, dispose } = edgeFlowOf(c, fused);
  const x = tf.tensor3d(wave(N * S * F, 0.2), [N, S, F]);
  const filters = tf.tensor2d(wave(E * L * F, 1.1), [E, L * F]);
  const harmonics = tf.tensor2d(wave(E * S, 2.9), [E, S]);
  const R = tf.tensor3d(wave(N * S * F, 0.4), [N, S, F]);
  const profile = await tf.profile(() => tf.dispose(flow.tensorProductConvolve(x, filters, harmonics, cg)));
  const loss = (a: tf.Tensor, b: tf.Tensor, y: tf.Tensor) =>
    tf.sum(
      tf.mul(flow.tensorProductConvolve(a as tf.Tensor3D, b as tf.Tensor2D, y as tf.Tensor2D, cg), R),
    ) as tf.Scalar;
  const { value, grads } = tf.valueAndGrads(loss)([x, filters, harmonics]);
  const out = tf.tidy(() => flow.tensorProductConvolve(x, filters, harmonics, cg));
  const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
  const result: Result = {
    value: await read(out),
    grads: { x: await read(grads[0]), filters: await read(grads[1]), harmonics: await read(grads[2]) },
    kernels: dispatched(profile),
  };
  tf.dispose([x, filters, harmonics, R, value, out, ...grads]);
  dispose();
  return result;
}

const cases: Record<string, Case> = {
  'l_max 1, ordered, 70 features, atoms 3 and 6 receive nothing': { lmax: 1, ...orderedEdges(70) },
  'l_max 1, occupancy-weighted, 3 features, atom 4 receives nothing and sends nothing': {
    lmax: 1,
    ...weightedEdges(3),
  },
  'l_max 1, weighted, 43 features, 200 edges among 40 atoms (the last 5 receive nothing)': {
    lmax: 1,
    ...manyEdges(43),
  },
  'l_max 2, weighted, 5 features, 200 edges among 40 atoms': { lmax: 2, ...manyEdges(5) },
};

/** A tiny SO3Net's prediction for `atoms` and every transform of it, read asynchronously on webgpu. */
async function predictions(model: SO3Net, crystal: Atoms, opts: SymmetryOptions): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const atoms of [crystal, ...symmetryTransforms(crystal, opts).map((t) => t.atoms)]) {
    const b = batchOfAtoms(atoms, { cutoff: 3.5 });
    const y = tf.tidy(() => model.forward(b));
    out.set(keyOf(atoms), (await y.data()) as Float32Array);
    y.dispose();
    disposeBatch(b);
  }
  return out;
}
const keyOf = (a: Atoms) => `${Array.from(a.numbers).join(',')}|${Array.from(a.cart).join(',')}`;

if (ready) {
  for (const [name, c] of Object.entries(cases)) {
    test(`fused SO3 convolution equals the composed ops, values and every gradient: ${name}`, async () => {
      const composed = await convolveWithGrads(c, false);
      const fused = await convolveWithGrads(c, true);
      expectClose(fused.value, composed.value, { rtol: 1e-5, atol: 1e-6, label: 'y' });
      for (const k of ['x', 'filters', 'harmonics'] as const)
        expectClose(fused.grads[k], composed.grads[k], { rtol: 1e-5, atol: 1e-6, label: `d${k}` });
      for (const k of ['x', 'filters', 'harmonics'] as const)
        assert.ok(
          composed.grads[k].some((v) => v !== 0),
          `a non-trivial d${k}`,
        );
      assert.equal(
        fused.kernels,
        [c.occupancy ? 'CrystalGnnSo3ConvolveWeighted' : 'CrystalGnnSo3Convolve'],
        'one kernel forward',
      );
      assert.ok(composed.kernels.length >= 10, `composed forward: ${composed.kernels.join(', ')}`);
    });
  }

  test('fused SO3 convolution: an empty receiver row is exactly 0', async () => {
    const c = cases['l_max 1, ordered, 70 features, atoms 3 and 6 receive nothing'];
    const fused = await convolveWithGrads(c, true);
    for (const atom of [3, 6])
      assert.ok(
        fused.value.slice(atom * 4 * 70, (atom + 1) * 4 * 70).every((v) => v === 0),
        `atom ${atom}`,
      );
  });

  test('SO3Net on webgpu (fused convolution): output invariant to rotations, reflections, translations, permutations, supercells', async () => {
    const model = new SO3Net(
      SO3NetOptions.parse({
        name: 'so3net',
        element_types: ['H', 'Li', 'O', 'P', 'S'],
        dim_node_embedding: 6,
        units: 5,
        nblocks: 2,
        nmax: 3,
        lmax: 1,
        cutoff: 3.5,
        readout_type: 'reduce_atom',
      }),
      3.5,
    ).initialize(3);
    const crystal = smallCrystal();
    const opts: SymmetryOptions = { rtol: 1e-5 };
    const probe = batchOfAtoms(crystal, { cutoff: 3.5 });
    const profile = await tf.profile(() => tf.dispose(model.forward(probe)));
    assert.ok(
      dispatched(profile).some((k) => k.startsWith('CrystalGnnSo3Convolve')),
      'the model takes the fused path',
    );
    disposeBatch(probe);
    const outputs = await predictions(model, crystal, opts);
    expectInvariant(
      (a) => {
        const hit = outputs.get(keyOf(a));
        if (!hit) throw new Error('a transform not computed in advance');
        return hit;
      },
      crystal,
      opts,
    );
    model.dispose();
  });
}

test.run();
