import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphCache, graphKey } from '../../graph/cache.js';
import { knnGraph, type KnnList } from '../../graph/knn.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { makeAtoms } from './atoms.js';

const sc = makeAtoms('sc', [[3, 0, 0], [0, 3, 0], [0, 0, 3]], [[0, 0, 0]]);

test('graphKey is stable under option order and distinguishes values', () => {
  assert.is(graphKey('radius', { inclusive: true, cutoff: 5 }), 'radius{"cutoff":5,"inclusive":true}');
  assert.is(graphKey('radius', { cutoff: 5, inclusive: true }), graphKey('radius', { inclusive: true, cutoff: 5 }));
  assert.is.not(graphKey('radius', { cutoff: 5 }), graphKey('radius', { cutoff: 6 }));
  assert.is.not(graphKey('radius', { cutoff: 5 }), graphKey('knn', { cutoff: 5 }));
});

test('a graph is built once per (id, key) and reused', () => {
  const cache = new GraphCache();
  let builds = 0;
  const build = (r: number) => () => {
    builds++;
    return radiusGraph(sc, r);
  };
  const a = cache.get(sc, graphKey('radius', { cutoff: 3.5 }), build(3.5));
  const b = cache.get(sc, graphKey('radius', { cutoff: 3.5 }), build(3.5));
  const c = cache.get(sc, graphKey('radius', { cutoff: 4.5 }), build(4.5));
  assert.is(a, b);
  assert.is(a.src.length, 6);
  assert.is(c.src.length, 18);
  assert.is(builds, 2);
  assert.equal([cache.hits, cache.misses, cache.size], [1, 2, 2]);
  cache.clear();
  assert.equal([cache.hits, cache.misses, cache.size], [0, 0, 0]);
});

test('typed for k-NN lists, and an id reused for another structure is an error', () => {
  const cache = new GraphCache<KnnList>();
  const g = cache.get(sc, 'knn', () => knnGraph(sc, 12, 3.5));
  assert.equal(Array.from(g.counts), [6]);
  const other = makeAtoms('sc', [[3, 0, 0], [0, 3, 0], [0, 0, 3]], [[0, 0, 0], [0.5, 0.5, 0.5]]);
  assert.throws(() => cache.get(other, 'knn', () => knnGraph(other)), /"sc" was cached with 1 atoms, now has 2/);
});

test.run();
