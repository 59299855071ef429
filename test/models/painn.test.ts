import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import type { Atoms } from '../../data/structure.js';
import { collate, disposeBatch, type GraphBatch } from '../../graph/batch.js';
import { PaiNN, PaiNNOptions } from '../../models/painn.js';
import { loadConfig } from '../../train/config.js';
import { loadModel } from '../../train/load.js';
import { buildModel } from '../../models/build.js';
import { sampleFromCif } from '../../graph/featurize.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../helpers/backends.js';
import { expectGradcheck, gradcheckVariables } from '../helpers/gradcheck.js';
import { batchOfAtoms, withBatch as withBatchOf } from '../helpers/modelFixtures.js';
import { obelixDir, pretrainedDir, projectRoot, requireShared } from '../helpers/paths.js';
import { cartesianMatrix, expectEquivariant, expectInvariant, smallCrystal } from '../helpers/symmetry.js';

const refDir = join(pretrainedDir, 'schnetpack-reference');
const IDS = ['11b', 'deu', '9zk', '68u'];
interface RefEntry {
  painn: { float64: number };
}

const tiny = (o: Partial<PaiNNOptions> = {}) =>
  new PaiNN(PaiNNOptions.parse({ name: 'painn', n_atom_basis: 6, n_interactions: 2, n_rbf: 5, ...o }), 3.5).initialize(
    3,
  );
const GRAPH = { cutoff: 3.5 };
const batchOf = (atoms: Atoms): GraphBatch => batchOfAtoms(atoms, GRAPH);
const withBatch = <T>(atoms: Atoms, f: (b: GraphBatch) => T | Promise<T>): Promise<T> => withBatchOf(atoms, GRAPH, f);

forEachBackend('PaiNN', (test, backend) => {
  test('parameter counts: OBELiX best 163,441 (configs/painn.yaml), SchNetPack defaults 589,057, shared variants', () => {
    const m = buildModel(loadConfig(join(projectRoot, 'configs', 'painn.yaml')));
    assert.is(m.countParameters(), 163441);
    m.dispose();
    const count = (o: Partial<PaiNNOptions>) => {
      const p = new PaiNN(PaiNNOptions.parse({ name: 'painn', ...o }), 5);
      const n = p.countParameters();
      p.dispose();
      return n;
    };
    assert.is(count({}), 589057);
    const f = 80,
      t = 2,
      head = f * 40 + 40 + 41;
    assert.is(
      count({ n_atom_basis: f, n_interactions: t, shared_filters: true }),
      100 * f + 21 * 3 * f + t * (4 * f * f + 4 * f) + t * (7 * f * f + 4 * f) + head,
    );
    assert.is(
      count({ n_atom_basis: f, n_interactions: t, shared_interactions: true }),
      100 * f + 21 * 3 * t * f + (4 * f * f + 4 * f) + (7 * f * f + 4 * f) + head,
    );
  });

  // The two large cells (80 and 184 atoms) only on the fast backends: the cpu kernels need ~30 s for them.
  const ids = backend === 'cpu' ? IDS.slice(0, 2) : IDS;
  test(`SchNetPack reference checkpoint: ${ids.join(', ')} within 2e-6 of the float64 outputs, one at a time and batched`, async () => {
    const ref = JSON.parse(readFileSync(requireShared(join(refDir, 'reference-outputs.json')), 'utf8')) as Record<
      string,
      RefEntry
    >;
    const { model, config } = loadModel(join(refDir, 'painn'));
    const samples = ids.map((id) => sampleFromCif(join(obelixDir, 'cifs', `${id}.cif`), config.spec));
    const run = async (ss: typeof samples) => {
      const b = collate(ss);
      const y = tf.tidy(() => model.forward(b, false));
      const out = Array.from(await y.data());
      y.dispose();
      disposeBatch(b);
      return out;
    };
    const expected = ids.map((id) => ref[id].painn.float64);
    const single: number[] = [];
    for (const s of samples) single.push((await run([s]))[0]);
    expectClose(single, expected, { atol: 2e-6, rtol: 0, label: `single (${backend})` });
    expectClose(await run(samples), expected, { atol: 2e-6, rtol: 0, label: 'batched' });
    model.dispose();
  });

  test('debug trace of 11b: vector features (Frobenius norm) and final scalars of atom 0', async () => {
    const trace = JSON.parse(readFileSync(join(refDir, 'debug-trace-11b.json'), 'utf8')) as {
      painn: {
        float64: { after_mixing1: { vector_frobenius: number }; final_scalar_representation_atom0_first8: number[] };
      };
    };
    const { model, config } = loadModel(join(refDir, 'painn'));
    // the batch is made and disposed inside the leak check: on webgpu the fused message caches its edge order on it
    await expectNoLeakAsync(async () => {
      const b = collate([sampleFromCif(join(obelixDir, 'cifs', '11b.cif'), config.spec)]);
      await tidyAsync(async () => {
        const { q, mu } = (model as PaiNN).representation.features(b);
        assert.equal(mu.shape, [8, 3, 80]);
        const t = trace.painn.float64;
        expectClose([Math.sqrt((await tf.sum(tf.square(mu)).data())[0])], [t.after_mixing1.vector_frobenius], {
          atol: 0,
          rtol: 2e-6,
          label: '‖μ‖',
        });
        expectClose(await q.slice([0, 0], [1, 8]).data(), t.final_scalar_representation_atom0_first8, {
          atol: 5e-6,
          rtol: 0,
          label: 'q atom 0',
        });
      });
      disposeBatch(b);
    });
    model.dispose();
  });

  test('vector features rotate with the crystal; output invariant to rotations, reflections, translations, permutations, supercells', async () => {
    const m = tiny();
    const crystal = smallCrystal();
    await expectEquivariant(
      (a) =>
        withBatch(a, (b) =>
          tidyAsync(async () => {
            const mu = m.representation.features(b).mu;
            return { data: await mu.data(), channels: 3, features: 6 };
          }),
        ),
      cartesianMatrix,
      crystal,
      { rtol: 1e-5 },
    );
    await expectInvariant((a) => withBatch(a, (b) => tidyAsync(async () => await m.forward(b).data())), crystal, {
      rtol: 1e-5,
    });
    m.dispose();
  });

  test('gradient check of every weight of a tiny PaiNN (finite differences), shared filters and one block too', async () => {
    for (const o of [{}, { shared_filters: true, shared_interactions: true }, { n_interactions: 1 }]) {
      const m = tiny(o);
      const b = batchOf(smallCrystal());
      const w = tf.tensor1d([1.3]);
      const loss = () => tf.sum(tf.mul(m.forward(b), w)) as tf.Scalar;
      expectGradcheck(
        await gradcheckVariables(loss, [...m.trainableVariables().values()], { directions: 4 }),
        JSON.stringify(o),
      );
      disposeBatch(b);
      w.dispose();
      m.dispose();
    }
  });
});
