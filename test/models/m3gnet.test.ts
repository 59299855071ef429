import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { Atoms } from '../../data/structure.js';
import { collate, disposeBatch, type GraphSample } from '../../graph/batch.js';
import { M3GNet, M3GNetOptions } from '../../models/m3gnet.js';
import { validateConfig } from '../../train/config.js';
import { loadModel, readCheckpoint } from '../../train/load.js';
import { buildNeighbors, sampleFromCif, toSample } from '../../graph/featurize.js';
import { predictSamples } from '../../train/trainer.js';
import { expectClose, expectNoLeak, forEachBackend, tidyAsync } from '../helpers/backends.js';
import { expectGradcheck, gradcheckVariables } from '../helpers/gradcheck.js';
import { throwsInputError } from '../helpers/inputError.js';
import { pretrainedDir, requireShared } from '../helpers/paths.js';
import { expectInvariant, smallCrystal } from '../helpers/symmetry.js';

const DIR = join(pretrainedDir, 'm3gnet-mp-2018.6.1-eform');
const KNOWN = join(pretrainedDir, 'known-structures');
const options = (o: Partial<M3GNetOptions>): M3GNetOptions => M3GNetOptions.parse({ name: 'm3gnet', ...o });
const tiny = (o: Partial<M3GNetOptions> = {}): M3GNetOptions =>
  options({
    dim_node_embedding: 6,
    dim_edge_embedding: 5,
    units: 4,
    nblocks: 2,
    threebody_cutoff: 3.5,
    niters_set2set: 2,
    nlayers_set2set: 2,
    ...o,
  });
const sampleOf = (atoms: Atoms, cutoff: number, r3: number): GraphSample =>
  toSample(atoms, buildNeighbors(atoms, { cutoff }), 0, r3);

interface Trace {
  denormalised_eV_per_atom: number;
  n_bonds: number;
  n_triplets: number;
}
const trace = (): Record<string, Record<string, Trace>> =>
  JSON.parse(readFileSync(requireShared(join(DIR, 'debug-trace.json')), 'utf8'));

/** The pretrained model with one triplet convention. */
async function pretrained(
  convention: 'current' | 'legacy',
): Promise<{ model: M3GNet; predict: (file: string) => Promise<number> }> {
  const loaded = loadModel(requireShared(DIR));
  const base = loaded.model as M3GNet;
  const model = new M3GNet({ ...base.options, three_body_convention: convention }, 5);
  model.loadState(await base.stateDict());
  base.dispose();
  const predict = async (file: string): Promise<number> => {
    const s = sampleFromCif(requireShared(join(KNOWN, `${file}.cif`)), loaded.config.spec);
    return (await predictSamples(model, [s], loaded.normalizer, 1, 1e9))[0];
  };
  return { model, predict };
}

forEachBackend('M3GNet pretrained (MP-2018.6.1-Eform)', (test) => {
  test('current convention: CsCl −2.220 and unrelaxed SrTiO3 −2.240 eV/atom (numpy reference to 1e-4)', async () => {
    const { model, predict } = await pretrained('current');
    const cscl = await predict('CsCl_matgl_example');
    expectClose([cscl], [trace().CsCl.current.denormalised_eV_per_atom], { atol: 1e-4, rtol: 0, label: 'CsCl' });
    assert.ok(Math.abs(cscl - -2.22) < 5e-4, `CsCl ${cscl} vs matgl's printed -2.220`);
    const srtio3 = await predict('SrTiO3_unrelaxed_a4.5_matgl_example');
    expectClose([srtio3], [-2.2402], { atol: 1e-4, rtol: 0, label: 'SrTiO3 a=4.5' });
    model.dispose();
  });

  test('legacy convention: LiFePO4 −2.5489 eV/atom; SrTiO3 a=4.5 −2.2512 (the conventions differ by 0.011)', async () => {
    const { model, predict } = await pretrained('legacy');
    const lfp = await predict('LiFePO4_pymatgen_test');
    expectClose([lfp], [trace().LiFePO4.legacy_triplets.denormalised_eV_per_atom], {
      atol: 1e-4,
      rtol: 0,
      label: 'LiFePO4',
    });
    expectClose([await predict('SrTiO3_unrelaxed_a4.5_matgl_example')], [-2.2512], {
      atol: 1e-4,
      rtol: 0,
      label: 'SrTiO3 legacy',
    });
    model.dispose();
  });
});

forEachBackend('M3GNet', (test) => {
  test('weight gradients of the whole model (three-body, gated MLPs, Set2Set) match finite differences', async () => {
    const model = new M3GNet(tiny(), 4).initialize(3);
    const batch = collate([sampleOf(smallCrystal(), 4, 3.5)]);
    assert.ok(batch.triplets!.edgeA.shape[0] > 0);
    const probe = tf.scalar(1.3);
    const vars = [
      ...model.representation.threeBody.at(0).trainableVariables().values(),
      ...model.representation.blocks.at(1).trainableVariables().values(),
    ];
    const result = await gradcheckVariables(() => tf.mul(tf.sum(model.forward(batch)), probe) as tf.Scalar, vars, {
      directions: 4,
    });
    expectGradcheck(result, 'm3gnet');
    expectNoLeak(
      () =>
        tf.tidy(() => {
          tf.variableGrads(() => tf.sum(model.forward(batch)) as tf.Scalar, [...model.trainableVariables().values()]);
        }),
      'training step',
    );
    probe.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  test('invariance: rotations, reflections, translations, permutations, supercells', async () => {
    const model = new M3GNet(tiny(), 4).initialize(11);
    const predict = async (atoms: Atoms): Promise<number[]> => {
      const batch = collate([sampleOf(atoms, 4, 3.5)]);
      const y = await tidyAsync(async () => Array.from(await model.forward(batch).data()));
      disposeBatch(batch);
      return y;
    };
    await expectInvariant(predict, smallCrystal(), { rtol: 2e-5 });
    model.dispose();
  });

  test('the two triplet conventions differ on a low-symmetry cell, and a batch equals its crystals one by one', async () => {
    const a = new M3GNet(tiny(), 4).initialize(5);
    const b = new M3GNet(tiny({ three_body_convention: 'legacy' }), 4);
    b.loadState(await a.stateDict());
    const s1 = sampleOf(smallCrystal(), 4, 3.5);
    const s2 = sampleOf({ ...smallCrystal(), id: 'li', numbers: Int32Array.from([3, 3, 8, 8]) }, 4, 3.5);
    const run = async (m: M3GNet, s: GraphSample[]): Promise<number[]> => {
      const batch = collate(s);
      const y = await tidyAsync(async () => Array.from(await m.forward(batch).data()));
      disposeBatch(batch);
      return y;
    };
    const both = await run(a, [s1, s2]);
    expectClose(both, [...(await run(a, [s1])), ...(await run(a, [s2]))], { atol: 1e-5, rtol: 1e-4 });
    // Compare the three-body updates themselves: downstream, the tiny random network squashes them.
    const update = async (m: M3GNet): Promise<number[]> => {
      const batch = collate([s1]);
      const v = await tidyAsync(async () => {
        const vIn = m.representation.nodeEmbedding.apply(m.elementIndex(batch));
        const e = tf.zeros([batch.numEdges, 5]) as tf.Tensor2D;
        return Array.from(await m.representation.threeBody.at(0).apply(vIn, e, m.geometry(batch), batch).data());
      });
      disposeBatch(batch);
      return v;
    };
    const [ua, ub] = [await update(a), await update(b)];
    const scale = Math.max(...ua.map(Math.abs));
    const gap = Math.max(...ua.map((x, i) => Math.abs(x - ub[i])));
    assert.ok(
      scale > 0 && gap > 0.05 * scale,
      `legacy and current three-body updates agree on a generic cell (max |Δ| = ${gap}, max |u| = ${scale})`,
    );
    a.dispose();
    b.dispose();
  });
});

forEachBackend('M3GNet structure', (test) => {
  test('parameter counts: pretrained 391,772; OBELiX final (128/128/64, 51 elements) 953,052', () => {
    const loaded = loadModel(requireShared(DIR));
    assert.is(loaded.model.countParameters(), 391772);
    loaded.model.dispose();
    const m = new M3GNet(
      options({
        element_types: [
          'H',
          'Li',
          'B',
          'C',
          'N',
          'O',
          'F',
          'Na',
          'Mg',
          'Al',
          'Si',
          'P',
          'S',
          'Cl',
          'K',
          'Ca',
          'Sc',
          'Ti',
          'V',
          'Cr',
          'Mn',
          'Fe',
          'Co',
          'Ni',
          'Cu',
          'Zn',
          'Ga',
          'Ge',
          'As',
          'Se',
          'Br',
          'Rb',
          'Sr',
          'Y',
          'Zr',
          'Nb',
          'Mo',
          'In',
          'Sn',
          'Sb',
          'I',
          'Cs',
          'Ba',
          'La',
          'Ce',
          'Nd',
          'Sm',
          'Gd',
          'Ta',
          'W',
          'Bi',
        ],
        dim_node_embedding: 128,
        dim_edge_embedding: 128,
        units: 64,
        threebody_cutoff: 5,
      }),
      5,
    );
    assert.is(m.countParameters(), 953052);
    m.dispose();
  });

  test('converted checkpoint: model section, graph with line graph, normaliser, keys without the model. prefix', () => {
    const c = readCheckpoint(requireShared(DIR));
    assert.equal(c.config.graph, { cutoff: 5, threebody_cutoff: 5 });
    assert.equal(c.normalizer, { mode: 'standardize', mean: -1.6545907258987427, std: 1.072661280632019 });
    const o = c.config.model as M3GNetOptions;
    assert.is(o.element_types.length, 89);
    assert.is(o.element_types[2], 'Li');
    assert.is(o.three_body_convention, 'current');
    assert.ok(
      c.weights.has('readout.set2set.lstm.weight_ih_l0') &&
        c.weights.has('graph_layers.2.conv.node_update_func.gates.4.bias'),
    );
    assert.equal(c.weights.get('embedding.layer_node_embedding.weight')!.shape, [89, 64]);
  });

  test('an element outside element_types, a missing line graph and bad options are InputErrors', () => {
    const m = new M3GNet(tiny({ element_types: ['Li', 'O', 'P'] }), 4);
    const batch = collate([sampleOf(smallCrystal(), 4, 3.5)]); // Li O P S
    throwsInputError(() => m.forward(batch), 'small', 'Z=16', 'element_types');
    disposeBatch(batch);
    const plain = collate([toSample(smallCrystal(), buildNeighbors(smallCrystal(), { cutoff: 4 }), 0)]);
    const all = new M3GNet(tiny(), 4);
    throwsInputError(() => all.forward(plain), 'graph.threebody_cutoff');
    all.dispose();
    disposeBatch(plain);
    m.dispose();
    throwsInputError(
      () => validateConfig({ model: { name: 'm3gnet', element_types: ['Li', 'Xx'] } }, 'c.yaml'),
      'model.element_types.1',
      'not an element',
    );
    throwsInputError(
      () => validateConfig({ model: { name: 'm3gnet', element_types: ['Li', 'Li'] } }, 'c.yaml'),
      'duplicate element',
    );
    throwsInputError(
      () => validateConfig({ model: { name: 'm3gnet', readout: 'set2set' } }, 'c.yaml'),
      "unknown key 'model.readout'",
    );
  });
});
