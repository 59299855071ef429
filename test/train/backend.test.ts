import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../data/errors.js';
import { activeBackend, initBackend } from '../../train/backend.js';

const require = createRequire(import.meta.url);
const hasTfjsNode = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => {
  try {
    require.resolve(p);
    return true;
  } catch {
    return false;
  }
});

test('cpu, then wasm with SIMD, each computing', async () => {
  assert.is(activeBackend(), null);
  const cpu = await initBackend('cpu');
  assert.is(cpu.name, 'cpu');
  assert.is(tf.getBackend(), 'cpu');
  const wasm = await initBackend('wasm');
  assert.is(wasm.name, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.match(wasm.description, /SIMD on/);
  const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]));
  assert.equal(Array.from(await y.data()), [1, 2, 3, 4]);
  assert.equal(activeBackend(), wasm);
});

test('idempotent: a repeated call keeps the backend and its tensors', async () => {
  const a = await initBackend('wasm');
  const x = tf.tensor1d([1, 2]);
  const b = await initBackend('wasm');
  assert.is(b, a);
  assert.equal(Array.from(await x.data()), [1, 2]);
  x.dispose();
});

test('wasm Identity shares buffers safely: clones outlive their source, memory is released, gradients hold', async () => {
  await initBackend('wasm');
  const bytes = tf.memory().numBytes;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.equal(Array.from(await y.data()), [1, 2, 3]);
  y.dispose();
  assert.is(tf.memory().numBytes, bytes);
  // saved activations go through Identity: d/dx sum(softplus(x)·x) must be exact
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.softplus(v), v)))(tf.tensor1d([0.5, -1]));
  const expect = [0.5, -1].map((v) => Math.log1p(Math.exp(v)) + v / (1 + Math.exp(-v)));
  (await g.data()).forEach((v, i) => assert.ok(Math.abs(v - expect[i]) < 1e-6));
});

test('wasm Cast to the same dtype shares the buffer; to another dtype it converts', async () => {
  await initBackend('wasm');
  const buffers = tf.memory().numDataBuffers;
  const x = tf.tensor1d([1.5, -2.5, 3]);
  const same = tf.cast(x, 'float32');
  const ints = tf.cast(x, 'int32');
  assert.is(tf.memory().numDataBuffers, buffers + 2, 'x and the int32 copy');
  x.dispose();
  assert.equal(Array.from(await same.data()), [1.5, -2.5, 3]);
  assert.equal(Array.from(await ints.data()), [1, -2, 3]);
  assert.is(ints.dtype, 'int32');
  tf.dispose([same, ints]);
  assert.is(tf.memory().numDataBuffers, buffers);
});

test('auto picks the TensorFlow binding when it loads, else wasm', async () => {
  const info = await initBackend('auto');
  assert.is(info.name, hasTfjsNode ? info.name : 'wasm');
  if (hasTfjsNode) assert.ok(info.name === 'tensorflow' || info.name === 'tensorflow-gpu');
});

test('asking for tensorflow without the node packages is an InputError with the install hint', async () => {
  if (hasTfjsNode) return;
  try {
    await initBackend('tensorflow');
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match(
      (e as Error).message,
      /npm install @tensorflow\/tfjs-node-gpu` \(CUDA 11\.2 \/ cuDNN 8\.1, libtensorflow 2\.9\)/,
    );
    assert.match((e as Error).message, /@tensorflow\/tfjs-node`/);
  }
  // the failed request leaves the previous backend active
  assert.is(tf.getBackend(), 'wasm');
});

test('webgpu by name: the adapter is described with its limits; auto never takes a software adapter', async () => {
  let info;
  try {
    info = await initBackend('webgpu');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, /backend "webgpu": /);
    console.log(`webgpu unavailable here: ${(e as Error).message}`);
    return;
  }
  assert.is(info.name, 'webgpu');
  assert.ok(
    info.adapter && info.adapter.limits.maxStorageBufferBindingSize >= 2 ** 27,
    "the adapter's own limits were requested",
  );
  assert.match(info.description, /limits: storage binding \d+ MiB/);
  if (info.adapter.software) {
    const auto = await initBackend('auto');
    assert.ok(auto.name !== 'webgpu', `auto chose ${auto.name} over a software adapter`);
  }
});

test.run();
