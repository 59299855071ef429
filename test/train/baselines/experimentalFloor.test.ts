import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadObelix } from '../../../data/obelix.js';
import { experimentalFloor } from '../../../train/baselines/experimentalFloor.js';
import { obelixDir } from '../../helpers/paths.js';

test('experimental floor on OBELiX: 48 groups, 122 entries, MAE 0.4078, RMS 0.6295 (§1.5)', () => {
  const r = experimentalFloor(loadObelix(obelixDir).entries);
  assert.is(r.groups, 48);
  assert.is(r.entries, 122);
  assert.is(Number(r.mae.toFixed(4)), 0.4078);
  assert.is(Number(r.rms.toFixed(4)), 0.6295);
});

test('hand case: a 3-member group, a 2-member group, singletons ignored, space group separates', () => {
  const e = (composition: string, spaceGroup: number, target: number) => ({ composition, spaceGroup, target });
  const r = experimentalFloor([
    e('Li1O1', 1, -3),
    e('Li1O1', 1, -4),
    e('Li1O1', 1, -8), // median -4: |1|,0,|4| ; mean -5: 4,1,9
    e('Li2S1', 5, -2),
    e('Li2S1', 5, -3), // median -2.5: 0.5,0.5 ; mean -2.5: 0.25,0.25
    e('Li1O1', 2, -10),
    e('Na1Cl1', 1, 0),
  ]);
  assert.is(r.groups, 2);
  assert.is(r.entries, 5);
  assert.ok(Math.abs(r.mae - 6 / 5) < 1e-12);
  assert.ok(Math.abs(r.rms - Math.sqrt(14.5 / 5)) < 1e-12);
  assert.ok(Number.isNaN(experimentalFloor([e('A1', 1, 0)]).mae));
});

test.run();
