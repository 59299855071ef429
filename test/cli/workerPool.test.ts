import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runPool } from '../../cli/workers.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('runPool: at most `concurrency` at once, a freed lane takes the next item, every item once', async () => {
  let running = 0;
  let peak = 0;
  const events: string[] = [];
  // item = how long it runs; lane 1 is busy with the long first item while lane 2 takes the rest
  await runPool([40, 5, 5, 5], 2, async (ms, i) => {
    running++;
    peak = Math.max(peak, running);
    events.push(`start ${i}`);
    await tick(ms);
    events.push(`end ${i}`);
    running--;
  });
  assert.is(peak, 2);
  assert.equal(events, ['start 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'end 0']);
});

test('runPool: after a failure nothing new starts, the running item is awaited, the first error is thrown', async () => {
  const started: number[] = [];
  const finished: number[] = [];
  const err = await runPool([0, 1, 2, 3], 2, async (_, i) => {
    started.push(i);
    await tick(i === 0 ? 5 : 20);
    if (i === 0) throw new Error('job 0 failed');
    finished.push(i);
  }).then(
    () => null,
    (e: Error) => e,
  );
  assert.is(err?.message, 'job 0 failed');
  assert.equal(started, [0, 1]);
  assert.equal(finished, [1]);
});

test('runPool: no items is a no-op; concurrency above the item count runs each once', async () => {
  let calls = 0;
  await runPool([], 4, async () => {
    calls++;
  });
  await runPool(['a', 'b'], 8, async () => {
    calls++;
  });
  assert.is(calls, 2);
});

test.run();
