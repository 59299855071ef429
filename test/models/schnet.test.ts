import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collate, disposeBatch } from '../../graph/batch.js';
import { SchNet, SchNetOptions } from '../../models/schnet.js';
import { RunDirectory } from '../../train/checkpoint.js';
import { RunSchema, validateConfig } from '../../train/config.js';
import { loadModel } from '../../train/load.js';
import { atomsFromCif, buildNeighbors, sampleFromCif, toSample } from '../../graph/featurize.js';
import { expectClose, forEachBackend } from '../helpers/backends.js';
import { gradcheckVariables, expectGradcheck } from '../helpers/gradcheck.js';
import { obelixDir, pretrainedDir } from '../helpers/paths.js';
import { predictAtoms } from '../helpers/modelFixtures.js';
import { expectInvariant, smallCrystal } from '../helpers/symmetry.js';

const tiny = (): SchNet =>
  new SchNet(SchNetOptions.parse({ name: 'schnet', n_atom_basis: 8, n_interactions: 2, n_rbf: 6 }), 4).initialize(7);
const referenceDir = join(pretrainedDir, 'schnetpack-reference');
const reference = JSON.parse(readFileSync(join(referenceDir, 'reference-outputs.json'), 'utf8')) as Record<
  string,
  { schnet: { float64: number } }
>;

forEachBackend(
  'SchNet',
  (test) => {
    test('parameter counts: paper best 80/3 = 93,841; defaults 128/6 = 432,769 (docs/architectures.md §3)', () => {
      for (const [f, t, n] of [
        [80, 3, 93841],
        [128, 6, 432769],
        [128, 3, 226945],
      ]) {
        const m = new SchNet(SchNetOptions.parse({ name: 'schnet', n_atom_basis: f, n_interactions: t }), 5);
        assert.is(m.countParameters(), n, `${f}/${t}`);
        m.dispose();
      }
    });

    test('upstream parity: SchNetPack 2.2.0 outputs on 4 OBELiX structures to 2e-6', async () => {
      const { model, config } = loadModel(join(referenceDir, 'schnet'));
      for (const [id, ref] of Object.entries(reference)) {
        const sample = sampleFromCif(join(obelixDir, 'cifs', `${id}.cif`), config.spec);
        const batch = collate([sample]);
        const y = tf.tidy(() => model.forward(batch, false));
        const got = (await y.data())[0];
        y.dispose();
        disposeBatch(batch);
        assert.ok(Math.abs(got - ref.schnet.float64) < 2e-6, `${id}: ${got} vs ${ref.schnet.float64}`);
      }
      model.dispose();
    });

    test('batching several crystals gives each one its own prediction', async () => {
      const { model, config } = loadModel(join(referenceDir, 'schnet'));
      const ids = Object.keys(reference);
      const atoms = ids.map((id) => atomsFromCif(join(obelixDir, 'cifs', `${id}.cif`)));
      const together = await predictAtoms(model, atoms, config.spec);
      expectClose(
        together,
        ids.map((id) => reference[id].schnet.float64),
        { atol: 2e-6, rtol: 0 },
      );
      model.dispose();
    });

    test('invariant to rotation (proper/improper), translation, permutation, supercell and cell choice', async () => {
      const model = tiny();
      await expectInvariant((a) => predictAtoms(model, [a], { cutoff: 4 }), smallCrystal(), { rtol: 2e-5 });
      model.dispose();
    });

    test('finite-difference gradients of a tiny SchNet (all weights)', async () => {
      const model = tiny();
      const atoms = smallCrystal();
      const batch = collate([toSample(atoms, buildNeighbors(atoms, { cutoff: 4 }), 0)]);
      const result = await gradcheckVariables(
        () => tf.sum(tf.square(model.forward(batch))),
        [...model.trainableVariables().values()],
      );
      expectGradcheck(result, 'schnet');
      disposeBatch(batch);
      model.dispose();
    });

    test('save -> load gives identical predictions (run directory round trip)', async () => {
      const model = tiny();
      const dir = mkdtempSync(join(tmpdir(), 'schnet-run-'));
      const run = new RunDirectory(dir);
      const config = validateConfig(
        {
          ...RunSchema.parse({ model: { name: 'schnet' } }),
          graph: { cutoff: 4 },
          model: { name: 'schnet', n_atom_basis: 8, n_interactions: 2, n_rbf: 6 },
        },
        'test',
      );
      run.writeConfig(config);
      run.writeNormalizer({ mode: 'none', mean: 0, std: 1 });
      run.writeWeights(await model.stateDict());
      const atoms = smallCrystal();
      const before = await predictAtoms(model, [atoms], { cutoff: 4 });
      const loaded = loadModel(dir);
      const after = await predictAtoms(loaded.model, [atoms], loaded.config.spec);
      assert.equal(Array.from(after), Array.from(before));
      model.dispose();
      loaded.model.dispose();
    });

    test('a checkpoint of another shape is refused naming the key and both shapes', async () => {
      const model = new SchNet(SchNetOptions.parse({ name: 'schnet', n_atom_basis: 16, n_interactions: 3 }), 5);
      const { model: ref } = loadModel(join(referenceDir, 'schnet'));
      const refState = await ref.stateDict();
      assert.throws(() => model.loadState(refState), /representation\.embedding\.weight.*\[100, 80\].*\[100, 16\]/);
      model.dispose();
      ref.dispose();
    });
  },
  { defaults: ['cpu'] },
);
