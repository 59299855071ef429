/**
 * One featurisation path for every dataset: a CIF-directory dataset gives the samples OBELiX's reader gives, with
 * occupancy-weighted nodes and graph-level features, through the disk graph cache and back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleFor } from '../../graph/featurize.js';
import { RunSchema, validateConfig, type RunConfig } from '../../train/config.js';
import { genericSamples } from '../../train/pretrain.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir } from '../helpers/paths.js';

// 13q and 9rc have split Li sites (merged by the weighted rule); 00x and 0iv are further OBELiX entries
const IDS = ['13q', '9rc', '00x', '0iv'];

function cifDirConfig(data: Record<string, unknown>): RunConfig {
  const dir = mkdtempSync(join(tmpdir(), 'generic-cifs-'));
  for (const id of IDS) copyFileSync(join(obelixDir, 'cifs', `${id}.cif`), join(dir, `${id}.cif`));
  writeFileSync(join(dir, 'id_prop.csv'), IDS.map((id, i) => `${id},${i - 2}`).join('\n'));
  return validateConfig(
    {
      ...RunSchema.parse({ model: { name: 'schnet' } }),
      graph: { cutoff: 4 },
      data: {
        dataset: 'cif_dir',
        path: dir,
        cache_dir: join(dir, 'cache'),
        validation_fraction: 0.25,
        split_seed: 1,
        ...data,
      },
      model: { name: 'schnet', n_atom_basis: 8 },
    },
    'test',
  );
}

const plain = (s: object): unknown =>
  JSON.parse(JSON.stringify(s, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v)));

for (const [occupancy, features] of [
  ['weighted', ['composition', 'space_group', 'z']],
  ['round', ['cell_composition']],
  ['round', []],
] as const) {
  test(`cif_dir, occupancy ${occupancy}, features [${features.join(', ')}]: the samples OBELiX's reader builds, from the cache too`, async () => {
    const config = cifDirConfig({ occupancy, graph_features: features });
    const first = await genericSamples(config, () => {});
    const again = await genericSamples(config, () => {});
    const all = [...first.train, ...first.val];
    assert.is(all.length, IDS.length);
    for (const s of all) {
      const expected = { ...sampleFor(join(config.data.path!, `${s.id}.cif`), config.spec, s.target), id: s.id };
      assert.equal(plain(s), plain(expected), s.id);
    }
    assert.equal(plain([...again.train, ...again.val]), plain(all));
    if (occupancy === 'weighted')
      assert.ok(
        all.some((s) => s.occupancy !== undefined),
        'a partially occupied structure keeps its occupancies',
      );
    if (features.length) assert.ok(all.every((s) => s.graphFeatures !== undefined));
  });
}

test('jsonl structures are ordered and have no CIF tags: weighted, space_group and z are refused, composition is accepted', () => {
  const base = { model: { name: 'schnet' }, data: { dataset: 'jsonl', path: 'x.jsonl' } };
  throwsInputError(
    () => validateConfig({ ...base, data: { ...base.data, graph_features: ['composition', 'space_group'] } }, 'c.yaml'),
    'c.yaml: data.graph_features: space_group',
    'jsonl',
  );
  throwsInputError(
    () => validateConfig({ ...base, data: { ...base.data, occupancy: 'weighted' } }, 'c.yaml'),
    'c.yaml: data.occupancy',
    'jsonl',
  );
  assert.equal(
    validateConfig({ ...base, data: { ...base.data, graph_features: ['composition', 'cell_composition'] } }, 'c.yaml')
      .spec.graph_features,
    ['composition', 'cell_composition'],
  );
});

test('jsonl: composition features computed from the ordered structure, through the cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'generic-jsonl-'));
  const path = join(dir, 'x.jsonl');
  const lattice = [
    [4, 0, 0],
    [0, 4, 0],
    [0, 0, 4],
  ];
  writeFileSync(
    path,
    [
      {
        id: 'a',
        target: 1,
        lattice,
        species: ['Li', 'O', 'O'],
        frac_coords: [
          [0, 0, 0],
          [0.5, 0.5, 0.5],
          [0.5, 0, 0],
        ],
      },
      {
        id: 'b',
        target: 2,
        lattice,
        species: ['Na', 'Cl'],
        frac_coords: [
          [0, 0, 0],
          [0.5, 0.5, 0.5],
        ],
      },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const config = validateConfig(
    {
      model: { name: 'schnet' },
      graph: { cutoff: 3 },
      data: {
        dataset: 'jsonl',
        path,
        cache_dir: join(dir, 'cache'),
        validation_fraction: 0,
        graph_features: ['composition'],
      },
    },
    'test',
  );
  for (const round of [1, 2]) {
    const { train } = await genericSamples(config, () => {});
    const a = train.find((s) => s.id === 'a')!;
    assert.ok(
      Math.abs(a.graphFeatures![2] - 1 / 3) < 1e-7 && Math.abs(a.graphFeatures![7] - 2 / 3) < 1e-7,
      `Li 1/3, O 2/3 (read ${round})`,
    );
    assert.ok(Math.abs(a.graphFeatures!.reduce((x, y) => x + y, 0) - 1) < 1e-6);
  }
});

test.run();
