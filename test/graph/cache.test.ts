import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphKey } from '../../graph/cache.js';

test('graphKey is stable under option order and distinguishes values', () => {
  assert.is(graphKey('radius', { inclusive: true, cutoff: 5 }), 'radius{"cutoff":5,"inclusive":true}');
  assert.is(graphKey('radius', { cutoff: 5, inclusive: true }), graphKey('radius', { inclusive: true, cutoff: 5 }));
  assert.is.not(graphKey('radius', { cutoff: 5 }), graphKey('radius', { cutoff: 6 }));
  assert.is.not(graphKey('radius', { cutoff: 5 }), graphKey('knn', { cutoff: 5 }));
});

test.run();
