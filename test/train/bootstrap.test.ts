import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupBootstrapMaeDifference } from '../../train/bootstrap.js';

test('identical models: no difference in any resample, ties split evenly', () => {
  const p = [1, -2, 3.5, 0];
  const r = groupBootstrapMaeDifference(p, p, [0, 0, 0, 0], ['x', 'x', 'y', 'z']);
  assert.equal([r.difference, r.low, r.high, r.shareABetter, r.groups], [0, 0, 0, 0.5, 3]);
});

test('two groups by hand: resampling whole groups gives −1, −2/3 and 0 with chances 1/4, 1/2, 1/4', () => {
  // g1 (two entries): a exact, b off by 1; g2 (one entry): both off by 1
  const target = [0, 0, 0];
  const r = groupBootstrapMaeDifference([0, 0, 1], [1, 1, 1], target, ['g1', 'g1', 'g2'], { samples: 4000, seed: 3 });
  assert.ok(Math.abs(r.difference - (1 / 3 - 1)) < 1e-12);
  assert.is(r.low, -1);
  assert.is(r.high, 0);
  // a better in 3/4 of resamples, a tie (counted half) in 1/4
  assert.ok(Math.abs(r.shareABetter - 0.875) < 0.02, `share ${r.shareABetter}`);
  const again = groupBootstrapMaeDifference([0, 0, 1], [1, 1, 1], target, ['g1', 'g1', 'g2'], {
    samples: 4000,
    seed: 3,
  });
  assert.equal(again, r, 'seeded');
});

test('one row per group is the ordinary paired bootstrap; lengths must agree', () => {
  const r = groupBootstrapMaeDifference([0, 0], [1, 1], [0, 0], ['a', 'b']);
  assert.equal([r.difference, r.low, r.high, r.shareABetter], [-1, -1, -1, 1]);
  assert.throws(
    () => groupBootstrapMaeDifference([0], [1, 1], [0, 0], ['a', 'b']),
    /1 \/ 2 predictions, 2 groups, 2 targets/,
  );
});

test.run();
