/** Graph-level features before the head (`data.graph_features`): SchNet, PaiNN (Atomwise head), CGCNN, M3GNet and SO3Net. */
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { Matrix3 } from '../../data/structure.js';
import { collate, disposeBatch, type GraphSample } from '../../graph/batch.js';
import { CGCNN, CgcnnOptions } from '../../models/cgcnn.js';
import { M3GNet, M3GNetOptions } from '../../models/m3gnet.js';
import type { Module } from '../../models/layers/module.js';
import type { GraphModel } from '../../models/model.js';
import { PaiNN, PaiNNOptions } from '../../models/painn.js';
import { SchNet, SchNetOptions } from '../../models/schnet.js';
import { SO3Net, SO3NetOptions } from '../../models/so3net.js';
import { validateConfig } from '../../train/config.js';
import { buildModel } from '../../models/build.js';
import { buildNeighbors, sampleFromCif, toSample } from '../../graph/featurize.js';
import { expectClose, expectRejects, forEachBackend } from '../helpers/backends.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir, requireShared } from '../helpers/paths.js';

const G = 5;
type Model = GraphModel & Module;
const ELEMENTS = ['Li', 'O', 'F', 'Na', 'Cl'];
/** name, graph cutoff, the model with g graph features, width of the head's first layer. */
const MODELS: Array<[string, number, (g: number) => Model, number]> = [
  [
    'schnet',
    4,
    (g) =>
      new SchNet(
        SchNetOptions.parse({ name: 'schnet', n_atom_basis: 8, n_interactions: 2, n_rbf: 6 }),
        4,
        g,
      ).initialize(3),
    4,
  ],
  [
    'painn',
    4,
    (g) =>
      new PaiNN(PaiNNOptions.parse({ name: 'painn', n_atom_basis: 8, n_interactions: 2, n_rbf: 6 }), 4, g).initialize(
        3,
      ),
    4,
  ],
  [
    'cgcnn',
    8,
    (g) =>
      new CGCNN(
        CgcnnOptions.parse({ name: 'cgcnn', atom_fea_len: 8, n_conv: 2, h_fea_len: 8, max_num_nbr: 12 }),
        8,
        g,
      ).initialize(5),
    8,
  ],
  [
    'm3gnet',
    4,
    (g) =>
      new M3GNet(
        M3GNetOptions.parse({
          name: 'm3gnet',
          element_types: ELEMENTS,
          dim_node_embedding: 6,
          dim_edge_embedding: 6,
          units: 5,
          nblocks: 1,
          threebody_cutoff: 3,
        }),
        4,
        g,
      ).initialize(5),
    5,
  ],
  [
    'so3net',
    4,
    (g) =>
      new SO3Net(
        SO3NetOptions.parse({
          name: 'so3net',
          element_types: ELEMENTS,
          dim_node_embedding: 6,
          units: 5,
          nblocks: 1,
          lmax: 1,
          nmax: 3,
        }),
        4,
        g,
      ).initialize(5),
    5,
  ],
];

const LATTICE: Matrix3 = [
  [4.1, 0, 0],
  [0.4, 4.4, 0],
  [0.2, -0.3, 4.9],
];
function sample(id: string, numbers: number[], frac: number[], cutoff: number, g?: number[]): GraphSample {
  const cart = new Float64Array(frac.length);
  for (let i = 0; i < frac.length / 3; i++) {
    for (let c = 0; c < 3; c++)
      cart[3 * i + c] = frac[3 * i] * LATTICE[0][c] + frac[3 * i + 1] * LATTICE[1][c] + frac[3 * i + 2] * LATTICE[2][c];
  }
  const atoms = { id, lattice: LATTICE, numbers: Int32Array.from(numbers), frac: Float64Array.from(frac), cart };
  const graph = cutoff === 8 ? { cutoff, max_neighbors: 12 } : { cutoff };
  const s = toSample(atoms, buildNeighbors(atoms, graph), 0, 3); // with the line graph for M3GNet
  return g ? { ...s, graphFeatures: Float32Array.from(g) } : s;
}
const crystalA = (cutoff: number, g?: number[]): GraphSample =>
  sample('a', [3, 8, 17], [0, 0, 0, 0.5, 0.5, 0.5, 0.6, 0.1, 0.3], cutoff, g);
const crystalB = (cutoff: number, g?: number[]): GraphSample =>
  sample('b', [11, 9], [0.1, 0.2, 0.3, 0.6, 0.5, 0.9], cutoff, g);
const G_A = [0.2, -1, 0.5, 0, 3];
const G_B = [1, 0.3, -0.7, 2, 0];

async function predict(model: Model, samples: GraphSample[]): Promise<Float32Array> {
  const batch = collate(samples);
  try {
    const y = tf.tidy(() => model.forward(batch, false));
    const out = (await y.data()) as Float32Array;
    y.dispose();
    return out;
  } finally {
    disposeBatch(batch);
  }
}

const numWeights = (m: Model): number => m.countParameters();

forEachBackend(
  'graph features',
  (test) => {
    for (const [name, cutoff, make, head] of MODELS) {
      test(`${name}: each crystal reads its own graph features (batched = alone), and they change the prediction`, async () => {
        const model = make(G);
        const [aAlone] = await predict(model, [crystalA(cutoff, G_A)]);
        const [bAlone] = await predict(model, [crystalB(cutoff, G_B)]);
        const both = await predict(model, [crystalB(cutoff, G_B), crystalA(cutoff, G_A)]);
        expectClose(both, [bAlone, aAlone], { atol: 1e-5, label: name });
        const [aOther] = await predict(model, [crystalA(cutoff, G_B)]);
        assert.ok(Math.abs(aOther - aAlone) > 1e-4, `${name}: features ignored (${aOther} vs ${aAlone})`);
        model.dispose();
      });

      test(`${name}: the head's first layer grows by exactly G inputs; without features the model is unchanged`, async () => {
        const plain = make(0);
        const withG = make(G);
        assert.is(numWeights(withG) - numWeights(plain), G * head);
        await expectRejects(predict(withG, [crystalA(cutoff)]), /graph-level features/);
        plain.dispose();
        withG.dispose();
      });
    }

    test('config: graph_features validated (name, repetition, model, dataset) with the key in the message', () => {
      const base = { model: { name: 'schnet' }, data: { graph_features: ['composition', 'z'] } };
      assert.equal(validateConfig(base, 'c.yaml').data.graph_features, ['composition', 'z']);
      throwsInputError(
        () => validateConfig({ ...base, data: { graph_features: ['density'] } }, 'c.yaml'),
        'c.yaml',
        'data.graph_features',
      );
      throwsInputError(
        () => validateConfig({ ...base, data: { graph_features: ['z', 'z'] } }, 'c.yaml'),
        'data.graph_features',
        "'z' twice",
      );
      throwsInputError(
        () => validateConfig({ ...base, data: { ...base.data, dataset: 'jsonl', path: 'x.jsonl' } }, 'c.yaml'),
        'data.graph_features',
        'jsonl',
      );
    });

    test('OBELiX: samples carry the 103 features, buildModel sizes the head from the config', async () => {
      const path = requireShared(join(obelixDir, 'cifs', '09w.cif'));
      const config = validateConfig(
        {
          model: { name: 'schnet', n_atom_basis: 8, n_interactions: 1 },
          data: { graph_features: ['composition', 'space_group', 'z'] },
        },
        'c.yaml',
      );
      const s = sampleFromCif(path, config.spec, 1, 'round', config.data.graph_features);
      assert.is(s.graphFeatures?.length, 103);
      assert.is(sampleFromCif(path, config.spec, 1).graphFeatures, undefined, 'the cache keys on the feature list');
      const model = buildModel(config) as Model;
      const [y] = await predict(model, [s]);
      assert.ok(Number.isFinite(y));
      assert.throws(() => collate([s, sampleFromCif(path, config.spec, 1)]), /graph features/);
      model.dispose();
    });
  },
  { defaults: ['cpu'] },
);
