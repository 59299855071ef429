import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { denormalize, fitNormalizer, normalize } from '../../data/normalizer.js';

test('standardize: mean and the unbiased SD, as torch.std (CGCNN Normalizer), by hand', () => {
  // targets 1, 2, 3, 4: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, SD √(5/3) (√(5/4) would be ddof 0)
  const n = fitNormalizer([1, 2, 3, 4], 'standardize');
  assert.is(n.mean, 2.5);
  assert.ok(Math.abs(n.std - Math.sqrt(5 / 3)) < 1e-15, `${n.std}`);
  assert.ok(Math.abs(normalize(n, 4) - 1.5 / Math.sqrt(5 / 3)) < 1e-15);
  assert.ok(Math.abs(denormalize(n, normalize(n, -3.7)) + 3.7) < 1e-14);
});

test('mean: offset only; none: identity; a constant target keeps SD 1', () => {
  assert.equal(fitNormalizer([1, 2, 6], 'mean'), { mode: 'mean', mean: 3, std: 1 });
  assert.equal(fitNormalizer([1, 2, 6], 'none'), { mode: 'none', mean: 0, std: 1 });
  assert.equal(fitNormalizer([5, 5], 'standardize'), { mode: 'standardize', mean: 5, std: 1 });
  assert.throws(() => fitNormalizer([1, NaN], 'mean'), /training target 1 is NaN/);
});

test.run();
