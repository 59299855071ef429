import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCif } from '../../data/cif.js';
import { isOrdered, weightedAtoms } from '../../data/occupancy.js';
import { crystalToAtoms } from '../../data/rounding.js';
import type { Crystal, DisorderedSite, Matrix3, Vec3 } from '../../data/structure.js';
import { collate, disposeBatch, type GraphSample } from '../../graph/batch.js';
import { Embedding } from '../../models/layers/embedding.js';
import { mixEmbedding, neighborWeight } from '../../models/layers/occupancy.js';
import type { GraphModel } from '../../models/model.js';
import type { Module } from '../../models/layers/module.js';
import { loadAtomInit } from '../../data/atomInit.js';
import { CGCNN, CgcnnOptions } from '../../models/cgcnn.js';
import { PaiNN, PaiNNOptions } from '../../models/painn.js';
import { M3GNet, M3GNetOptions } from '../../models/m3gnet.js';
import { SO3Net, SO3NetOptions } from '../../models/so3net.js';
import { SchNet, SchNetOptions } from '../../models/schnet.js';
import { validateConfig } from '../../train/config.js';
import { buildNeighbors, sampleFromCif, toSample, withOccupancy, type GraphOptions } from '../../graph/featurize.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../helpers/backends.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir } from '../helpers/paths.js';

const CUTOFF = 4;
type Model = GraphModel & Module;
const MODELS: Array<[string, (aggregation?: 'sum' | 'mean') => Model]> = [
  [
    'schnet',
    (aggregation = 'mean') =>
      new SchNet(
        SchNetOptions.parse({ name: 'schnet', n_atom_basis: 8, n_interactions: 2, n_rbf: 6, aggregation }),
        CUTOFF,
      ).initialize(3),
  ],
  [
    'painn',
    (aggregation = 'mean') =>
      new PaiNN(
        PaiNNOptions.parse({ name: 'painn', n_atom_basis: 8, n_interactions: 2, n_rbf: 6, aggregation }),
        CUTOFF,
      ).initialize(3),
  ],
];

const LATTICE: Matrix3 = [
  [4.1, 0, 0],
  [0.4, 4.4, 0],
  [0.2, -0.3, 4.9],
];
const site = (label: string, frac: Vec3, ...species: Array<[string, number]>): DisorderedSite => ({
  label,
  frac,
  species: species.map(([element, occupancy]) => ({ element, occupancy })),
});
/** A disordered toy: a Li/Na 50/50 site, a Li site at 0.3 (vacancy 0.7), a split Li pair 0.2 + 0.25, full O and Cl. */
const disordered = (li = 0.3): Crystal => ({
  id: 'toy',
  lattice: LATTICE,
  sites: [
    site('M1', [0, 0, 0], ['Li', 0.5], ['Na', 0.5]),
    site('O1', [0.5, 0.5, 0.5], ['O', 1]),
    site('Li2', [0.25, 0.7, 0.1], ['Li', li]),
    site('Li3a', [0.7, 0.2, 0.8], ['Li', 0.2]),
    site('Li3b', [0.73, 0.22, 0.79], ['Li', 0.25]),
    site('Cl1', [0.6, 0.1, 0.3], ['Cl', 1]),
  ],
});
const ordered = (): Crystal => ({
  id: 'ord',
  lattice: LATTICE,
  sites: [
    site('Li1', [0, 0, 0], ['Li', 1]),
    site('O1', [0.5, 0.5, 0.5], ['O', 1]),
    site('Cl1', [0.6, 0.1, 0.3], ['Cl', 1]),
  ],
});

/** n1 × n2 × n3 supercell, sites in a permuted order. */
function supercell(c: Crystal, n: Vec3): Crystal {
  const sites: DisorderedSite[] = [];
  for (let a = 0; a < n[0]; a++)
    for (let b = 0; b < n[1]; b++)
      for (let g = 0; g < n[2]; g++) {
        for (const s of c.sites)
          sites.push({ ...s, frac: [(s.frac[0] + a) / n[0], (s.frac[1] + b) / n[1], (s.frac[2] + g) / n[2]] });
      }
  sites.reverse();
  const lattice = c.lattice.map((row, k) => row.map((x) => x * n[k])) as Matrix3;
  return { id: `${c.id}-super`, lattice, sites };
}

const weightedSample = (c: Crystal, graph: GraphOptions = { cutoff: CUTOFF }): GraphSample => {
  const w = weightedAtoms(c);
  return withOccupancy(toSample(w, buildNeighbors(w, graph), 0, graph.threebody_cutoff), w);
};
const roundSample = (c: Crystal, graph: GraphOptions = { cutoff: CUTOFF }): GraphSample => {
  const a = crystalToAtoms(c);
  return toSample(a, buildNeighbors(a, graph), 0, graph.threebody_cutoff);
};
/** The same sample with explicit all-ones occupancy fields. */
const forceOccupancy = (s: GraphSample): GraphSample => ({
  ...s,
  occupancy: new Float32Array(s.numbers.length).fill(1),
  mixNode: Int32Array.from(s.numbers, (_, i) => i),
  mixNumbers: s.numbers,
  mixWeights: new Float32Array(s.numbers.length).fill(1),
});

/**
 * Predictions for one batch of `samples`, asserting that nothing is left behind once the batch is disposed (on webgpu
 * the batch keeps the fused convolution's edge order, built in the forward pass and freed with the batch).
 */
function predict(model: GraphModel, samples: GraphSample[]): Promise<number[]> {
  return expectNoLeakAsync(async () => {
    const batch = collate(samples);
    const y = tf.tidy(() => model.forward(batch, false));
    const values = (await y.array()) as number[];
    y.dispose();
    disposeBatch(batch);
    return values;
  });
}

forEachBackend(
  'occupancy',
  (test) => {
    test('mixEmbedding: Σ_s w_s E[Z_s] per node; plain lookup without occupancies; neighborWeight = o[dst]', async () => {
      const emb = new Embedding(20, 3).initialize(1);
      const table = (await emb.weight.array()) as number[][];
      const s = weightedSample(disordered());
      const batch = collate([s]);
      const x = (await tf.tidy(() => mixEmbedding((z) => emb.apply(z), batch)).array()) as number[][];
      const expected = [0, 1, 2].map((k) => 0.5 * table[3][k] + 0.5 * table[11][k]);
      expectClose(x[0], expected, { label: 'Li/Na 50/50 = average' });
      expectClose(
        x[2],
        table[3].map((v) => 0.3 * v),
        { label: 'Li 0.3' },
      );
      expectClose(
        x[3],
        table[3].map((v) => 0.45 * v),
        { label: 'merged split pair Li 0.45' },
      );
      const w = await tidyAsync(async () => (await neighborWeight(batch)!.array()) as number[][]);
      const dst = (await batch.dst.array()) as number[];
      dst.forEach((j, e) => assert.ok(Math.abs(w[e][0] - s.occupancy![j]) < 1e-7));
      disposeBatch(batch);
      const plain = collate([roundSample(ordered())]);
      assert.is(neighborWeight(plain), null);
      assert.equal(
        await tf.tidy(() => mixEmbedding((z) => emb.apply(z), plain)).array(),
        await tf.tidy(() => emb.apply(plain.numbers)).array(),
      );
      disposeBatch(plain);
      emb.dispose();
    });

    for (const [name, build] of MODELS) {
      test(`${name}: an ordered structure predicts the same in round and weighted modes (with or without explicit occupancies)`, async () => {
        const m = build();
        const round = await predict(m, [roundSample(ordered())]);
        const weighted = weightedSample(ordered());
        assert.is(weighted.occupancy, undefined, 'ordered samples carry no occupancy fields');
        assert.equal(await predict(m, [weighted]), round);
        expectClose(await predict(m, [forceOccupancy(weighted)]), round, { atol: 1e-6, rtol: 1e-6 });
        m.dispose();
      });

      test(`${name}: a site split 50/50 between Li and Na acts as one species whose embedding is their average`, async () => {
        const m = build();
        const key = 'representation.embedding.weight';
        const state = await m.stateDict();
        const table = state.get(key)!;
        const f = table.shape[1];
        for (let k = 0; k < f; k++) table.data[99 * f + k] = 0.5 * (table.data[3 * f + k] + table.data[11 * f + k]);
        m.loadState(state);
        const mixed = disordered();
        const pure: Crystal = { ...mixed, sites: [site('Es1', [0, 0, 0], ['Es', 1]), ...mixed.sites.slice(1)] };
        const [a] = await predict(m, [weightedSample(mixed)]);
        const [b] = await predict(m, [weightedSample(pure)]);
        const [li] = await predict(m, [
          weightedSample({ ...mixed, sites: [site('Li1', [0, 0, 0], ['Li', 1]), ...mixed.sites.slice(1)] }),
        ]);
        expectClose([a], [b], { atol: 1e-6, rtol: 1e-5 });
        assert.ok(Math.abs(a - li) > 1e-4, `the mixture must differ from pure Li (${a} vs ${li})`);
        m.dispose();
      });

      test(`${name}: a site with vanishing occupancy vanishes from the prediction (embedding, messages and pooling all weighted)`, async () => {
        const m = build();
        const base = disordered();
        const without: Crystal = { ...base, sites: base.sites.filter((x) => x.label !== 'Li2') };
        const [p0] = await predict(m, [weightedSample(without)]);
        const [pe] = await predict(m, [weightedSample(disordered(1e-7))]);
        const [p1] = await predict(m, [weightedSample(disordered())]);
        expectClose([pe], [p0], { atol: 1e-5, rtol: 1e-5 });
        assert.ok(Math.abs(p1 - p0) > 1e-4, `the 0.3 site must count (${p1} vs ${p0})`);
        m.dispose();
      });

      test(`${name}: a supercell (sites permuted) of a disordered structure gives the same intensive prediction; sum pooling scales`, async () => {
        const m = build();
        const base = disordered();
        const big = supercell(base, [2, 1, 2]);
        const [p1] = await predict(m, [weightedSample(base)]);
        const [p4] = await predict(m, [weightedSample(big)]);
        expectClose([p4], [p1], { atol: 1e-5, rtol: 1e-5 });
        const [full] = await predict(m, [weightedSample(disordered(1))]);
        assert.ok(Math.abs(full - p1) > 1e-4, `occupancy 0.3 vs 1 must change the prediction (${p1} vs ${full})`);
        const s = build('sum');
        const [s1] = await predict(s, [weightedSample(base)]);
        const [s4] = await predict(s, [weightedSample(big)]);
        expectClose([s4], [4 * s1], { atol: 1e-5, rtol: 1e-5 });
        // batching ordered and disordered crystals together changes nothing
        const together = await predict(m, [roundSample(ordered()), weightedSample(base), weightedSample(big)]);
        expectClose(together, [(await predict(m, [roundSample(ordered())]))[0], p1, p4], { atol: 1e-6, rtol: 1e-5 });
        m.dispose();
        s.dispose();
      });
    }

    // CGCNN: k = 12 nearest neighbors within 8 Å (every node has more than 12, so no padded slots).
    const KNN: GraphOptions = { cutoff: 8, max_neighbors: 12 };
    const tinyCgcnn = (): CGCNN =>
      new CGCNN(
        CgcnnOptions.parse({ name: 'cgcnn', atom_fea_len: 8, n_conv: 2, h_fea_len: 8, max_num_nbr: 12 }),
        8,
      ).initialize(5);

    test('cgcnn: ordered round = weighted; fixed atom features mix by occupancy; supercell-invariant; vanishing-weight slots', async () => {
      const m = tinyCgcnn();
      const round = await predict(m, [roundSample(ordered(), KNN)]);
      expectClose(await predict(m, [forceOccupancy(weightedSample(ordered(), KNN))]), round, {
        atol: 1e-6,
        rtol: 1e-6,
      });
      const table = loadAtomInit();
      const row = (z: number): number[] => Array.from(table.rows.subarray(z * table.length, (z + 1) * table.length));
      const batch = collate([weightedSample(disordered(), KNN)]);
      const fea = (await tf.tidy(() => m.atomFeatures(batch)).array()) as number[][];
      expectClose(
        fea[0],
        row(3).map((v, k) => 0.5 * v + 0.5 * row(11)[k]),
        { label: 'Li/Na 50/50' },
      );
      expectClose(
        fea[2],
        row(3).map((v) => 0.3 * v),
        { label: 'Li 0.3' },
      );
      const g = m.graph(batch);
      assert.ok(g.rowWeights, 'occupancy mode weighs the rows');
      const weights = (await g.rowWeights.array()) as number[];
      const dst = (await batch.dst.array()) as number[];
      const occ = weightedSample(disordered(), KNN).occupancy!;
      dst.forEach((j, e) => assert.ok(Math.abs(weights[e] - occ[j]) < 1e-7, `slot ${e}`));
      assert.is(weights.length, dst.length, 'every atom has its 12 neighbors: no padded row');
      tf.dispose(Object.values(g).filter((t): t is tf.Tensor => t !== null));
      disposeBatch(batch);
      const [p1] = await predict(m, [weightedSample(disordered(), KNN)]);
      const [p4] = await predict(m, [weightedSample(supercell(disordered(), [2, 1, 2]), KNN)]);
      expectClose([p4], [p1], { atol: 1e-5, rtol: 1e-5 });
      const [full] = await predict(m, [weightedSample(disordered(1), KNN)]);
      assert.ok(Math.abs(full - p1) > 1e-5, `occupancy 0.3 vs 1 must change the prediction (${p1} vs ${full})`);
      m.dispose();
    });

    for (const readout of ['set2set', 'weighted_atom', 'reduce_atom'] as const) {
      test(`so3net (${readout} readout): ordered round = weighted; vanishing site vanishes; supercell-invariant`, async () => {
        const m = new SO3Net(
          SO3NetOptions.parse({
            name: 'so3net',
            element_types: ['H', 'Li', 'O', 'Na', 'Cl'],
            dim_node_embedding: 4,
            units: 3,
            nblocks: 2,
            nmax: 3,
            lmax: 1,
            readout_type: readout,
          }),
          CUTOFF,
        ).initialize(5);
        const round = await predict(m, [roundSample(ordered())]);
        expectClose(await predict(m, [forceOccupancy(weightedSample(ordered()))]), round, { atol: 1e-6, rtol: 1e-5 });
        const base = disordered();
        const [p0] = await predict(m, [
          weightedSample({ ...base, sites: base.sites.filter((x) => x.label !== 'Li2') }),
        ]);
        const [pe] = await predict(m, [weightedSample(disordered(1e-7))]);
        const [p1] = await predict(m, [weightedSample(base)]);
        expectClose([pe], [p0], { atol: 1e-5, rtol: 1e-5 });
        assert.ok(Math.abs(p1 - p0) > 1e-6, `the 0.3 site must count (${p1} vs ${p0})`);
        const [p4] = await predict(m, [weightedSample(supercell(base, [2, 1, 2]))]);
        // weighted_atom sums over atoms before the final MLP (MatGL's extensive readout): not intensive by design
        if (readout !== 'weighted_atom') expectClose([p4], [p1], { atol: 1e-5, rtol: 1e-5 });
        const mixed = { ...base, sites: [site('M1', [0, 0, 0], ['Li', 0.5], ['K', 0.5]), ...base.sites.slice(1)] };
        const mixedBatch = collate([weightedSample(mixed)]);
        throwsInputError(() => tf.tidy(() => m.forward(mixedBatch)), 'toy', 'element K', 'species mixture');
        disposeBatch(mixedBatch);
        m.dispose();
      });
    }

    test('m3gnet: ordered round = weighted; 50/50 = average embedding row; vanishing site vanishes; supercell-invariant', async () => {
      const GRAPH: GraphOptions = { cutoff: CUTOFF, threebody_cutoff: 3.5 };
      const m = new M3GNet(
        M3GNetOptions.parse({
          name: 'm3gnet',
          element_types: ['Li', 'O', 'Na', 'Cl', 'Es'],
          dim_node_embedding: 6,
          dim_edge_embedding: 5,
          units: 4,
          nblocks: 2,
          threebody_cutoff: 3.5,
          niters_set2set: 2,
          nlayers_set2set: 2,
        }),
        CUTOFF,
      ).initialize(3);
      const round = await predict(m, [roundSample(ordered(), GRAPH)]);
      expectClose(await predict(m, [forceOccupancy(weightedSample(ordered(), GRAPH))]), round, {
        atol: 1e-6,
        rtol: 1e-5,
      });
      const state = await m.stateDict();
      const table = state.get('embedding.layer_node_embedding.weight')!;
      const f = table.shape[1];
      for (let k = 0; k < f; k++) table.data[4 * f + k] = 0.5 * (table.data[k] + table.data[2 * f + k]); // Es = (Li + Na) / 2
      // the three-body term of a freshly initialised tiny model is ~1e-7 of the output: amplify it so its gating counts
      for (const [key, t] of state)
        if (key.startsWith('three_body_interactions.'))
          t.data.forEach((x, k) => {
            t.data[k] = 100 * x;
          });
      m.loadState(state);
      const base = disordered();
      const pure: Crystal = { ...base, sites: [site('Es1', [0, 0, 0], ['Es', 1]), ...base.sites.slice(1)] };
      expectClose(await predict(m, [weightedSample(base, GRAPH)]), await predict(m, [weightedSample(pure, GRAPH)]), {
        atol: 1e-6,
        rtol: 1e-5,
      });
      const [p0] = await predict(m, [
        weightedSample({ ...base, sites: base.sites.filter((x) => x.label !== 'Li2') }, GRAPH),
      ]);
      const [pe] = await predict(m, [weightedSample(disordered(1e-7), GRAPH)]);
      const [p1] = await predict(m, [weightedSample(base, GRAPH)]);
      expectClose([pe], [p0], { atol: 5e-7, rtol: 0 }); // the gating mutation (no o_k) moves it by 3e-6
      assert.ok(Math.abs(p1 - p0) > 1e-6, `the 0.3 site must count (${p1} vs ${p0})`);
      const [p4] = await predict(m, [weightedSample(supercell(base, [2, 1, 2]), GRAPH)]);
      expectClose([p4], [p1], { atol: 1e-5, rtol: 1e-5 });
      m.dispose();
    });

    test('samples: weighted mode on an ordered OBELiX CIF is the round sample; occupancies above 1 in a CIF are rejected', () => {
      const dir = join(obelixDir, 'cifs');
      const id = readdirSync(dir)
        .sort()
        .find((f) => isOrdered(readCif(join(dir, f))))!;
      const path = join(dir, id);
      const r = sampleFromCif(path, { cutoff: CUTOFF });
      const w = sampleFromCif(path, { cutoff: CUTOFF }, NaN, 'weighted');
      assert.is(w.occupancy, undefined);
      assert.equal([...w.dst], [...r.dst]);
      assert.equal([...w.numbers], [...r.numbers]);
      const tmp = mkdtempSync(join(tmpdir(), 'occ-'));
      const bad = join(tmp, 'bad.cif');
      writeFileSync(
        bad,
        [
          'data_bad',
          '_cell_length_a 5',
          '_cell_length_b 5',
          '_cell_length_c 5',
          '_cell_angle_alpha 90',
          '_cell_angle_beta 90',
          '_cell_angle_gamma 90',
          'loop_',
          '_atom_site_label',
          '_atom_site_type_symbol',
          '_atom_site_fract_x',
          '_atom_site_fract_y',
          '_atom_site_fract_z',
          '_atom_site_occupancy',
          'Li1 Li 0 0 0 0.7',
          'Na1 Na 0 0 0 0.4',
          'O1 O 0.5 0.5 0.5 1',
          '',
        ].join('\n'),
      );
      throwsInputError(() => sampleFromCif(bad, { cutoff: CUTOFF }, NaN, 'weighted'), bad, 'Li1', '> 1');
    });

    test('config: data.occupancy accepts round (default) and weighted, rejects anything else', () => {
      assert.is(validateConfig({ model: { name: 'schnet' } }, 'x.yaml').data.occupancy, 'round');
      assert.is(
        validateConfig({ model: { name: 'schnet' }, data: { occupancy: 'weighted' } }, 'x.yaml').data.occupancy,
        'weighted',
      );
      assert.throws(
        () => validateConfig({ model: { name: 'schnet' }, data: { occupancy: 'mixed' } }, 'x.yaml'),
        /occupancy/,
      );
      throwsInputError(
        () =>
          validateConfig(
            { model: { name: 'schnet' }, data: { dataset: 'jsonl', path: 'a.jsonl', occupancy: 'weighted' } },
            'x.yaml',
          ),
        'x.yaml',
        'data.occupancy',
        'jsonl',
      );
    });
  },
  { defaults: ['cpu'] },
);
