/** Every run config shipped in configs/ (not the search spaces) validates, so a typo in one fails here, not in a user's run. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import '../../models/all.js';
import { loadConfig } from '../../train/config.js';
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

for (const model of ['schnet', 'cgcnn']) {
  test(`configs/occupancy/${model}.yaml is the paper-best ${model} with the three documented changes`, () => {
    const base = loadConfig(join(projectRoot, 'configs', `${model}.yaml`));
    const occ = loadConfig(join(projectRoot, 'configs', 'occupancy', `${model}.yaml`));
    assert.is(base.data.occupancy, 'round');
    assert.is(occ.data.occupancy, 'weighted');
    assert.equal(occ.data.graph_features, ['cell_composition', 'space_group', 'z']);
    assert.is(occ.training.loss, 'mae');
    assert.equal(occ.model, base.model);
    assert.equal({ ...occ.training, loss: base.training.loss }, base.training);
    assert.equal(occ.graph, base.graph);
    assert.equal(occ.data.validation, base.data.validation);
  });
}

test.run();
