/**
 * Runs a test suite once per TF.js backend that can load here: `cpu` always, `wasm` and `tensorflow` when their
 * packages resolve. `CRYSTAL_GNN_TEST_BACKENDS=cpu,wasm` sets the list; `webgpu` runs only when named there,
 * skipped visibly where no adapter exists (helpers/webgpu.ts). Tests read tensors asynchronously (`await t.data()`),
 * since webgpu has no synchronous read in Node (docs/testing.md). The list is decided at import, so every suite is
 * queued before uvu starts; each suite's `before` hook activates its backend (and fails loudly if that backend does
 * not initialise).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { initBackend, type BackendName } from '../../train/backend.js';
import { webgpuOrSkip } from './webgpu.js';

const require = createRequire(import.meta.url);

function resolves(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export type TestBackend = 'cpu' | 'wasm' | 'tensorflow' | 'webgpu';

const requested = (process.env.CRYSTAL_GNN_TEST_BACKENDS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as TestBackend[];
// webgpu is only run when asked for; without an adapter its suites are skipped visibly (or fail, in CI)
const webgpuMissing = requested.includes('webgpu') && !(await webgpuOrSkip(process.argv[1] ?? 'this file'));

/**
 * The backends to test: the requested list, else `defaults` when given (files whose cpu run already covers what the
 * other CPU backends would add run once by default), else every backend that loads here.
 */
export function testBackends(defaults?: TestBackend[]): TestBackend[] {
  if (requested.length) return requested.filter((b) => b !== 'webgpu' || !webgpuMissing);
  if (defaults) return defaults;
  const out: TestBackend[] = ['cpu'];
  if (resolves('@tensorflow/tfjs-backend-wasm')) out.push('wasm');
  if (resolves('@tensorflow/tfjs-node-gpu') || resolves('@tensorflow/tfjs-node')) out.push('tensorflow');
  return out;
}

/**
 * Defines and runs `title [backend]` for each backend; `define` adds tests to the given suite. `opts.defaults` sets
 * the backends used when CRYSTAL_GNN_TEST_BACKENDS is not set (see testBackends).
 */
export function forEachBackend(
  title: string,
  define: (test: Test, backend: string) => void,
  opts: { defaults?: TestBackend[] } = {},
): void {
  for (const backend of testBackends(opts.defaults)) {
    const test = suite(`${title} [${backend}]`);
    test.before(async () => {
      await initBackend(backend as BackendName);
    });
    define(test, backend);
    test.run();
  }
}

/** Runs `fn` and asserts it leaves no tensor behind (tf.memory().numTensors before = after). */
export function expectNoLeak<T>(fn: () => T, label = ''): T {
  const before = tf.memory().numTensors;
  const out = fn();
  const after = tf.memory().numTensors;
  assert.is(after, before, `tensor leak ${label}: ${after - before} tensors`);
  return out;
}

/**
 * `tf.tidy` for async bodies (host reads are async on webgpu): tensors made inside are disposed at the end, except
 * those returned. Tests run one at a time, so the engine's single scope stack is not shared with other work.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets the body return nothing, as tf.tidy's does
export async function tidyAsync<T extends tf.TensorContainer | void>(fn: () => Promise<T>): Promise<T> {
  tf.engine().startScope();
  let out: T | undefined;
  try {
    out = await fn();
    return out;
  } finally {
    tf.engine().endScope(out instanceof tf.Tensor ? out : undefined);
  }
}

/** `expectNoLeak` for async bodies. */
export async function expectNoLeakAsync<T>(fn: () => Promise<T>, label = ''): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  assert.is(after, before, `tensor leak ${label}: ${after - before} tensors`);
  return out;
}

/** `assert.throws` for async code: `p` must reject with a message matching `pattern`. */
export async function expectRejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, naming the first failing index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: { atol?: number; rtol?: number; label?: string } = {},
): void {
  const { atol = 1e-6, rtol = 1e-5, label = '' } = opts;
  assert.is(actual.length, expected.length, `${label} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    const ok = (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) assert.unreachable(`${label}[${i}]: got ${a}, expected ${b} (atol ${atol}, rtol ${rtol})`);
  }
}
