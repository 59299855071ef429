import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fracToCart, latticeFromParameters } from '../../data/lattice.js';
import type { Atoms } from '../../data/structure.js';
import type { GraphSample } from '../../graph/batch.js';
import { cacheKey, decodeChunk, encodeChunk, openOrBuildCache } from '../../graph/diskCache.js';
import { InputError } from '../../data/errors.js';
import { buildNeighbors, toSample } from '../../graph/featurize.js';

function crystal(k: number): Atoms {
  const a = 3 + 0.1 * k;
  const lattice = latticeFromParameters(a, a + 0.3, a + 0.6, 90, 95, 100);
  const frac = Float64Array.from([0, 0, 0, 0.5, 0.45, 0.5, 0.2, 0.7, 0.1].slice(0, 3 * (2 + (k % 2))));
  return {
    id: `s-${k}-µ`,
    lattice,
    numbers: Int32Array.from([3, 8, 15].slice(0, 2 + (k % 2))),
    frac,
    cart: fracToCart(lattice, frac),
  };
}

function samples(n: number, threebody?: number): GraphSample[] {
  return Array.from({ length: n }, (_, k) => {
    const at = crystal(k);
    return toSample(at, buildNeighbors(at, { cutoff: 4 }), 0.25 * k - 1, threebody);
  });
}

function same(a: GraphSample, b: GraphSample): void {
  assert.is(a.id, b.id);
  assert.is(a.target, b.target);
  for (const key of ['numbers', 'src', 'dst', 'vectors', 'distances'] as const)
    assert.equal(Array.from(a[key]), Array.from(b[key]), key);
  assert.equal(a.pairs && Array.from(a.pairs.edgePair), b.pairs && Array.from(b.pairs.edgePair));
  assert.equal(a.pairs && Array.from(a.pairs.distances), b.pairs && Array.from(b.pairs.distances));
  assert.equal(a.triplets && Array.from(a.triplets.edgeA), b.triplets && Array.from(b.triplets.edgeA));
  assert.equal(a.triplets && Array.from(a.triplets.edgeB), b.triplets && Array.from(b.triplets.edgeB));
}

test('encode → decode is exact (pairs, triplets, non-ASCII ids); keep skips other ids', () => {
  for (const tb of [undefined, 3]) {
    const s = samples(5, tb);
    assert.ok(s[0].src.length > 10);
    assert.is(s[0].triplets !== undefined, tb !== undefined);
    const back = decodeChunk(encodeChunk(s), 'mem');
    assert.is(back.length, 5);
    s.forEach((x, i) => same(x, back[i]));
    const some = decodeChunk(encodeChunk(s), 'mem', new Set(['s-1-µ', 's-4-µ']));
    assert.equal(
      some.map((x) => x.id),
      ['s-1-µ', 's-4-µ'],
    );
    same(some[1], s[4]);
  }
});

test('a corrupt chunk is an InputError naming the file', () => {
  assert.throws(
    () => decodeChunk(Buffer.from('nope'), 'c.bin'),
    (e: unknown) => e instanceof InputError && /c\.bin.*magic/.test((e as Error).message),
  );
  const buf = encodeChunk(samples(2));
  assert.throws(() => decodeChunk(buf.subarray(0, buf.length - 8), 'c.bin'), /c\.bin: truncated in sample 's-1-µ'/);
});

test('built once, chunked; a second open reads the files without calling the builder; load(ids) keeps order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'diskcache-'));
  let calls = 0;
  const source = async function* (): AsyncGenerator<GraphSample> {
    calls++;
    for (const s of samples(7)) yield s;
  };
  const identity = { dataset: 'abc', graph: 'r@4' };
  const a = await openOrBuildCache(source, { root, identity, chunkSize: 3 });
  assert.is(calls, 1);
  assert.is(a.index.chunks.length, 3);
  assert.equal(a.index.chunkOf, [0, 0, 0, 1, 1, 1, 2]);
  assert.equal(
    a.index.targets,
    samples(7).map((s) => s.target),
  );
  const b = await openOrBuildCache(source, { root, identity: { graph: 'r@4', dataset: 'abc' }, chunkSize: 3 });
  assert.is(calls, 1, 'key independent of property order, and the cache is reused');
  const ref = samples(7);
  b.load().forEach((s, i) => same(s, ref[i]));
  const picked = b.load(['s-6-µ', 's-0-µ']);
  same(picked[0], ref[6]);
  same(picked[1], ref[0]);
  await openOrBuildCache(source, { root, identity: { dataset: 'abc', graph: 'r@5' } });
  assert.is(calls, 2, 'other graph options, other cache');
  assert.is.not(cacheKey({ dataset: 'abc', graph: 'r@4' }), cacheKey({ dataset: 'abd', graph: 'r@4' }));
  try {
    b.load(['nope']);
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /no structure 'nope'/);
  }
});

test('an interrupted build leaves no cache behind, so the next run rebuilds', async () => {
  const root = mkdtempSync(join(tmpdir(), 'diskcache-'));
  const failing = async function* (): AsyncGenerator<GraphSample> {
    const s = samples(4);
    yield s[0];
    yield s[1];
    throw new InputError('broken record');
  };
  try {
    await openOrBuildCache(failing, { root, identity: { x: 1 }, chunkSize: 1 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /broken record/);
  }
  assert.equal(readdirSync(root), []);
  writeFileSync(join(root, 'stray'), '');
  const ok = await openOrBuildCache(
    async function* () {
      yield* samples(2);
    },
    { root, identity: { x: 1 } },
  );
  assert.is(ok.size, 2);
  assert.ok(existsSync(join(ok.dir, 'index.json')));
});

test.run();
