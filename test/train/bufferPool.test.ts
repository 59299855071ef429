/**
 * The webgpu buffer pool's policy on a stand-in device that records every buffer made and destroyed (no GPU needed):
 * lavapipe never returns the memory of a destroyed buffer to the system (docs/webgpu.md, memory on lavapipe), so
 * after the largest batch has been seen the pool must make no new buffer and destroy none.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketSize, PooledBufferManager } from '../../train/webgpu.js';

const usage = { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 };
(globalThis as Record<string, unknown>).GPUBufferUsage ??= usage;
const STORAGE = usage.STORAGE | usage.COPY_SRC | usage.COPY_DST;
const MiB = 2 ** 20;

/** A device whose buffers only know their size and usage; counts what was made and destroyed. */
function fakeDevice() {
  const log = { created: 0, destroyed: 0, createdBytes: 0 };
  const device = {
    createBuffer({ size, usage: u }: { size: number; usage: number }) {
      log.created++;
      log.createdBytes += size;
      return {
        size,
        usage: u,
        destroy: () => {
          log.destroyed++;
        },
      };
    },
  };
  return { device: device as unknown as GPUDevice, log };
}

/** One training step's allocations for a batch of `edges` edges: per-edge tensors and per-atom tensors, freed at the end. */
function step(pool: PooledBufferManager, edges: number): void {
  const held: GPUBuffer[] = [];
  for (const width of [128, 64, 64, 20, 3]) held.push(pool.acquireBuffer(edges * width * 4, STORAGE));
  held.push(pool.acquireBuffer(Math.ceil(edges / 12) * 64 * 4, STORAGE));
  for (const b of held.slice(0, 3)) pool.releaseBuffer(b);
  for (const width of [128, 64]) held.push(pool.acquireBuffer(edges * width * 4, STORAGE));
  for (const b of held) pool.releaseBuffer(b);
}

/** Edge counts of a shuffled epoch: every batch another size, between 30% and 100% of the largest (every tensor above 1 MiB). */
function epochSizes(seed: number, n = 40, largest = 600_000): number[] {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => (i === 0 ? largest : Math.round(largest * (0.3 + 0.7 * rand()))));
}

test('a freed buffer serves a later request up to half its size (bucket sizes only), not just an equal one', () => {
  const { device, log } = fakeDevice();
  const pool = new PooledBufferManager(device, 128 * MiB);
  const big = pool.acquireBuffer(10 * MiB, STORAGE);
  pool.releaseBuffer(big);
  const smaller = pool.acquireBuffer(6 * MiB, STORAGE);
  assert.is(smaller, big, 'a 6 MiB request takes the pooled 10 MiB buffer');
  pool.releaseBuffer(smaller);
  const tiny = pool.acquireBuffer(4 * MiB, STORAGE);
  assert.is.not(tiny, big, 'less than half of it: a new buffer');
  assert.is(tiny.size, bucketSize(4 * MiB));
  assert.is(pool.acquireBuffer(10 * MiB, usage.MAP_READ | usage.COPY_DST) === big, false, 'another usage never shares');
  assert.is(log.destroyed, 0);
});

test('a pooled buffer above the binding limit is never handed to a storage request', () => {
  const { device } = fakeDevice();
  const pool = new PooledBufferManager(device, 100 * MiB);
  const a = pool.acquireBuffer(99 * MiB, usage.COPY_DST | usage.MAP_READ);
  pool.releaseBuffer(a);
  const b = pool.acquireBuffer(99 * MiB, STORAGE);
  assert.ok(b.size <= 100 * MiB, `${b.size}`);
});

test('after the first epoch of varying batch sizes: no new buffer, none destroyed, allocation within 2x the peak', () => {
  const { device, log } = fakeDevice();
  const pool = new PooledBufferManager(device, 512 * MiB);
  for (const e of epochSizes(1)) step(pool, e);
  const after1 = { ...log, allocated: pool.numBytesAllocated };
  for (const seed of [2, 3, 4]) for (const e of epochSizes(seed)) step(pool, e);
  assert.is(log.created, after1.created, `buffers made after epoch 1: ${log.created - after1.created}`);
  assert.is(log.destroyed, 0);
  assert.is(pool.numBytesAllocated, after1.allocated);
  assert.is(pool.numBytesUsed, 0);
  assert.ok(
    pool.numBytesAllocated <= 2 * pool.peakBytesUsed,
    `${pool.numBytesAllocated} allocated, peak ${pool.peakBytesUsed}`,
  );
});

test.run();
