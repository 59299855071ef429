import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as assert from 'uvu/assert';
import { InputError } from '../../data/errors.js';
import { lookupElement } from '../../data/elements.js';
import { loadObelix, splitEntries } from '../../data/obelix.js';
import type { Atoms } from '../../data/structure.js';
import type { GraphBatch } from '../../graph/batch.js';
import type { StateTensor } from '../../models/layers/module.js';
import { sphericalHarmonicsAt } from '../../models/layers/sphericalHarmonics.js';
import { SO3Net, SO3NetOptions } from '../../models/so3net.js';
import { loadConfig } from '../../train/config.js';
import { buildModel } from '../../models/build.js';
import { expectClose, expectNoLeakAsync, forEachBackend, tidyAsync } from '../helpers/backends.js';
import { expectGradcheck, gradcheckVariables } from '../helpers/gradcheck.js';
import { fixturesDir, obelixDir, projectRoot } from '../helpers/paths.js';
import { expectEquivariant, expectInvariant, smallCrystal, sphericalChannelMatrix } from '../helpers/symmetry.js';
import { withBatch as withBatchOf } from '../helpers/modelFixtures.js';

interface Ref {
  options: Record<string, unknown>;
  n_edges: number;
  state: Record<string, { shape: number[]; data: number[] }>;
  features: number[];
  output: number;
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'so3net-ref.json'), 'utf8')) as Ref;
const CUTOFF = 3.5;
const ELEMENTS = ['H', 'Li', 'O', 'P', 'S'];

const tiny = (o: Partial<SO3NetOptions> = {}) =>
  new SO3Net(
    SO3NetOptions.parse({
      name: 'so3net',
      element_types: ELEMENTS,
      dim_node_embedding: 4,
      units: 3,
      nblocks: 2,
      nmax: 3,
      lmax: 1,
      ...o,
    }),
    CUTOFF,
  ).initialize(5);
const GRAPH = { cutoff: CUTOFF };
const withBatch = <T>(atoms: Atoms, f: (b: GraphBatch) => T | Promise<T>): Promise<T> => withBatchOf(atoms, GRAPH, f);
forEachBackend('SO3Net', (test) => {
  test('configs/so3net.yaml: 187,681 parameters; element_types = elements of the 254 CIF training compositions, sorted by Z', () => {
    const config = loadConfig(join(projectRoot, 'configs', 'so3net.yaml'));
    const m = buildModel(config);
    assert.is(m.countParameters(), 187681);
    m.dispose();
    const ds = loadObelix(obelixDir);
    const symbols = new Set<string>();
    for (const e of splitEntries(ds, 'train', { cifOnly: true }))
      for (const s of e.composition.match(/[A-Z][a-z]?/g) ?? []) symbols.add(s);
    const expected = [...symbols].sort((a, b) => lookupElement(a) - lookupElement(b));
    assert.is(expected.length, 51);
    assert.equal(config.model.element_types, expected);
  });

  test("state-dict keys and shapes are MatGL's; the padding row is zero", async () => {
    const m = tiny({ lmax: 2 });
    const sd = await m.stateDict();
    const shape = (k: string) => sd.get(k)?.shape;
    assert.equal(shape('embedding.weight'), [5, 4]);
    assert.equal(shape('so3convs.1.filternet.layers.0.weight'), [12, 3]);
    assert.equal(shape('mixings3.0.weight'), [4, 4]);
    assert.is(sd.has('mixings1.0.bias'), false);
    assert.equal(shape('gatings.0.scaling.weight'), [12, 4]);
    assert.equal(shape('readout.set2set.lstm.weight_ih_l0'), [16, 8]);
    assert.equal(shape('final_layer.layers.4.weight'), [1, 3]);
    assert.equal(Array.from(sd.get('embedding.weight')!.data.slice(0, 4)), [0, 0, 0, 0]);
    assert.is(m.representation.countParameters() + m.head.countParameters(), m.countParameters());
    m.dispose();
    const w = tiny({ readout_type: 'weighted_atom' });
    const wsd = await w.stateDict();
    assert.equal(wsd.get('readout.mlp.layers.2.weight')?.shape, [3, 3]);
    assert.equal(wsd.get('readout.weight.0.weight')?.shape, [1, 4]);
    assert.equal(wsd.get('final_layer.layers.0.weight')?.shape, [3, 3]);
    w.dispose();
  });

  test('matches an independent float64 numpy SO3Net (l_max 2, two blocks, Set2Set) loaded by MatGL key', async () => {
    const m = new SO3Net(SO3NetOptions.parse(ref.options), CUTOFF);
    m.loadState(
      new Map<string, StateTensor>(
        Object.entries(ref.state).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
      ),
    );
    // the batch is made and disposed inside the leak check: on webgpu the fused convolution caches its edge order on it
    await expectNoLeakAsync(() =>
      withBatch(smallCrystal(), async (b) => {
        assert.is(b.numEdges, ref.n_edges);
        await tidyAsync(async () => {
          expectClose(await m.representation.features(b).data(), ref.features, {
            atol: 2e-5,
            rtol: 1e-4,
            label: 'features',
          });
          expectClose(await m.forward(b).data(), [ref.output], { atol: 2e-6, rtol: 0, label: 'output' });
        });
      }),
    );
    m.dispose();
  });

  test('l ≥ 1 features transform with D(R); output invariant (rotations, reflections, translations, permutations, supercells)', async () => {
    for (const lmax of [1, 2]) {
      const m = tiny({ lmax });
      const s = (lmax + 1) ** 2;
      await expectEquivariant(
        (a) =>
          withBatch(a, (b) =>
            tidyAsync(async () => ({ data: await m.representation.features(b).data(), channels: s, features: 4 })),
          ),
        sphericalChannelMatrix((u) => sphericalHarmonicsAt(u, lmax)),
        smallCrystal(),
        { rtol: 1e-5 },
      );
      await expectInvariant(
        (a) => withBatch(a, (b) => tidyAsync(async () => await m.forward(b).data())),
        smallCrystal(),
        { rtol: 1e-5 },
      );
      m.dispose();
    }
    for (const readout_type of ['weighted_atom', 'reduce_atom'] as const) {
      const m = tiny({ readout_type });
      // weighted_atom sums over atoms (extensive, as upstream): no supercell invariance to expect there
      const kinds =
        readout_type === 'reduce_atom'
          ? undefined
          : (['rotation', 'reflection', 'translation', 'permutation'] as const).slice();
      await expectInvariant(
        (a) => withBatch(a, (b) => tidyAsync(async () => await m.forward(b).data())),
        smallCrystal(),
        { rtol: 1e-5, kinds },
      );
      m.dispose();
    }
  });

  test('gradient check of every weight (finite differences); the H row of the embedding gets no gradient', async () => {
    const m = tiny({ lmax: 2 });
    const loss = (b: GraphBatch) => () => tf.mul(tf.sum(m.forward(b)), 2.5) as tf.Scalar;
    // No H here: the padding row is deliberately gradient-free, while finite differences would see it.
    await withBatch(smallCrystal(), async (b) =>
      expectGradcheck(await gradcheckVariables(loss(b), [...m.trainableVariables().values()], { directions: 4 })),
    );
    const crystal = smallCrystal();
    crystal.numbers[0] = 1; // one H atom: type 0, the padding row
    await withBatch(crystal, async (b) => {
      const emb = m.trainableVariables().get('embedding.weight')!;
      const g = tf.variableGrads(loss(b), [emb]).grads[emb.name];
      const data = await g.data();
      assert.equal(Array.from(data.slice(0, 4)), [0, 0, 0, 0]);
      assert.ok(data.slice(4).some((v) => v !== 0));
      g.dispose();
    });
    m.dispose();
  });

  test('l_max 0 (scalar features only): gradient check of every weight', async () => {
    const m = tiny({ lmax: 0 });
    const loss = (b: GraphBatch) => () => tf.mul(tf.sum(m.forward(b)), 2.5) as tf.Scalar;
    await withBatch(smallCrystal(), async (b) =>
      expectGradcheck(await gradcheckVariables(loss(b), [...m.trainableVariables().values()], { directions: 4 })),
    );
    m.dispose();
  });

  test('an element outside element_types is an InputError naming it and the crystal', async () => {
    const m = tiny();
    const crystal = smallCrystal();
    crystal.numbers[2] = 52;
    await withBatch(crystal, (b) => {
      try {
        tf.tidy(() => m.forward(b));
        assert.unreachable('no error');
      } catch (err) {
        assert.instance(err, InputError);
        assert.match((err as Error).message, /small: element Te is not in model\.element_types/);
      }
    });
    assert.throws(() => tiny({ element_types: ['H', 'Xx'] }), /element_types\[1\]: "Xx"/);
    assert.throws(() => tiny({ element_types: ['H', 'Li', 'H'] }), /H is listed twice/);
    m.dispose();
  });
});
