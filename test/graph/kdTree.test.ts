import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KdTree, libraryRadiusSearch, nearestSearch, radiusSearch, type KdPoint } from '../../graph/kdTree.js';
import { rng } from './atoms.js';

function cloud(n: number, seed: number, grid = false): KdPoint[] {
  const rand = rng(seed);
  // On a grid, many points share coordinates and distances: the hard case for ties and plane pruning.
  const c = (): number => (grid ? Math.floor(5 * rand()) : 10 * rand());
  return Array.from({ length: n }, (_, id) => [c(), c(), c(), id]);
}

const d2 = (p: KdPoint, q: number[]): number => (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2;

test('radiusSearch returns exactly the points with d² < limit (random and grid clouds)', () => {
  for (const grid of [false, true]) {
    const points = cloud(400, grid ? 3 : 4, grid);
    const copy = points.map((p) => [...p] as KdPoint);
    const tree = new KdTree(copy);
    const rand = rng(5);
    for (let t = 0; t < 50; t++) {
      const q = grid ? [Math.floor(5 * rand()), Math.floor(5 * rand()), 2] : [10 * rand(), 10 * rand(), 10 * rand()];
      const limit = grid ? [1, 2, 4][t % 3] : 4 * rand() + 0.1;
      const want = points.filter((p) => d2(p, q) < limit).map((p) => p[3]);
      const got: number[] = [];
      radiusSearch(tree, q[0], q[1], q[2], limit, got);
      assert.equal(
        got.sort((a, b) => a - b),
        want,
        `query ${t}`,
      );
      const lib: number[] = [];
      libraryRadiusSearch(tree, q, limit, lib, 4);
      assert.equal(
        lib.sort((a, b) => a - b),
        want,
        `library query ${t}`,
      );
    }
  }
});

test('nearestSearch: the k best by (d², id), ties to the smaller id, self excluded', () => {
  for (const grid of [false, true]) {
    const points = cloud(300, grid ? 8 : 9, grid);
    const tree = new KdTree(points.map((p) => [...p] as KdPoint));
    const bestD2 = new Float64Array(12);
    const bestId = new Int32Array(12);
    for (let t = 0; t < 40; t++) {
      const self = points[t * 7];
      const k = [1, 5, 12][t % 3];
      const limit = grid ? 3 : 2;
      const want = points
        .filter((p) => p[3] !== self[3] && d2(p, self) < limit)
        .map((p) => [d2(p, self), p[3]])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, k);
      const m = nearestSearch(tree, self[0], self[1], self[2], k, limit, self[3], bestD2, bestId);
      assert.is(m, want.length);
      assert.equal(
        Array.from(bestId.slice(0, m)),
        want.map((w) => w[1]),
        `query ${t}`,
      );
      assert.equal(
        Array.from(bestD2.slice(0, m)),
        want.map((w) => w[0]),
      );
    }
  }
});

test('an empty tree answers nothing', () => {
  const tree = new KdTree([]);
  const out: number[] = [];
  radiusSearch(tree, 0, 0, 0, 1, out);
  assert.equal(out, []);
  assert.is(nearestSearch(tree, 0, 0, 0, 3, 1, -1, new Float64Array(3), new Int32Array(3)), 0);
});

test.run();
