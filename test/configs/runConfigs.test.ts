/** Every run config shipped in configs/ (not the search spaces) validates, so a typo in one fails here, not in a user's run. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig, type RunConfig } from '../../train/config.js';
import { projectRoot } from '../helpers/paths.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'search' ? [] : yamlFiles(path);
    return d.name.endsWith('.yaml') ? [path] : [];
  });
}

test('every run config in configs/ validates', () => {
  const files = yamlFiles(join(projectRoot, 'configs'));
  assert.ok(files.length >= 12, `found ${files.length}`);
  for (const f of files) {
    try {
      loadConfig(f);
    } catch (e) {
      assert.unreachable(`${relative(projectRoot, f)}: ${(e as Error).message}`);
    }
  }
});

const occupancyConfigs: Array<[base: string, occupancy: string]> = [
  ['schnet.yaml', 'occupancy/schnet.yaml'],
  ['cgcnn.yaml', 'occupancy/cgcnn.yaml'],
  ['finetune/p-schnet.yaml', 'occupancy/p-schnet.yaml'],
];

for (const [baseFile, occFile] of occupancyConfigs) {
  test(`configs/${occFile} is configs/${baseFile} with the three documented changes`, () => {
    const base = loadConfig(join(projectRoot, 'configs', baseFile));
    const occ = loadConfig(join(projectRoot, 'configs', occFile));
    assert.is(base.data.occupancy, 'round');
    assert.is(occ.data.occupancy, 'weighted');
    assert.equal(occ.data.graph_features, ['cell_composition', 'space_group', 'z']);
    assert.is(occ.training.loss, 'mae');
    assert.equal(occ.model, base.model);
    assert.equal({ ...occ.training, loss: base.training.loss }, base.training);
    assert.equal(occ.graph, base.graph);
    assert.equal(occ.data.validation, base.data.validation);
    assert.equal(occ.init, base.init);
    assert.is(occ.seed, base.seed);
  });
}

test('configs/occupancy/p-m3gnet.yaml: the upstream M3GNet representation frozen, trained as configs/occupancy/p-schnet.yaml', () => {
  const m3 = loadConfig(join(projectRoot, 'configs', 'occupancy', 'p-m3gnet.yaml'));
  const base = loadConfig(join(projectRoot, 'configs', 'finetune', 'p-m3gnet.yaml'));
  const pSchnet = loadConfig(join(projectRoot, 'configs', 'occupancy', 'p-schnet.yaml'));
  assert.equal(m3.init, { ...base.init!, freeze: ['representation'], reset_head: true });
  assert.equal(m3.model, { ...base.model, three_body_convention: 'legacy' });
  assert.equal(m3.graph, base.graph);
  assert.equal(m3.data.validation, base.data.validation);
  assert.equal({ ...m3.data, validation: undefined }, { ...pSchnet.data, validation: undefined });
  assert.equal(m3.training, { ...pSchnet.training, max_edges_per_batch: base.training.max_edges_per_batch });
});

test('configs/search/p-schnet-occupancy.yaml searches the head of configs/occupancy/p-schnet.yaml and nothing else', () => {
  const run = loadConfig(join(projectRoot, 'configs', 'occupancy', 'p-schnet.yaml'));
  const search = loadConfig(join(projectRoot, 'configs', 'search', 'p-schnet-occupancy.yaml'));
  const space = search.search!.space;
  assert.equal(Object.keys(space), [
    'training.early_stopping_patience',
    'training.lr',
    'training.weight_decay',
    'training.batch_size',
  ]);
  assert.is(search.search!.trials, 24);
  for (const [key, values] of Object.entries(space)) {
    const [, field] = key.split('.') as [string, keyof RunConfig['training']];
    assert.ok(
      values.includes(run.training[field] as (typeof values)[number]),
      `${key}: the run config's ${String(run.training[field])} is one of the searched values`,
    );
  }
  const outside = (c: RunConfig): unknown => ({
    ...c,
    name: '',
    search: undefined,
    training: { ...c.training, early_stopping_patience: 0, lr: 0, weight_decay: 0, batch_size: 0 },
  });
  assert.equal(outside(search), outside(run));
});

test.run();
