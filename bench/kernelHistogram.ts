/**
 * Kernels of one training step by kernel name, for one paper-best config: where a step's dispatches go.
 *
 *   node --import tsx bench/kernelHistogram.ts --config configs/schnet.yaml [--backend wasm]
 *                                              [--set training.batch_size=8 ...]   (config overrides, as kernelCount.ts)
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { prepareVersion, realBatches } from './versions.js';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
await initBackend(args.backend as BackendName);
const config = loadConfig(args.config!, [`backend=${args.backend}`, 'data.validation=null', ...args.set!]);
const version = await prepareVersion('worktree', 'worktree', config, await realBatches(config, 1));
await version.step(); // warm-up
const info = await tf.profile(async () => {
  await version.step();
});
const byName = new Map<string, number>();
for (const k of info.kernels)
  byName.set(k.name || '(customGrad wrapper)', (byName.get(k.name || '(customGrad wrapper)') ?? 0) + 1);
console.log(`${args.config}: ${info.kernels.length} kernels per step (${args.backend})`);
for (const [name, n] of [...byName].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${name}`);

// On webgpu, the GPU programs the step dispatches, by shader key (the backend's recordAndSubmit runs one per dispatch)
if (tf.getBackend() === 'webgpu') {
  const backend = tf.backend() as unknown as {
    recordAndSubmit: (program: { shaderKey: string }, ...rest: unknown[]) => void;
  };
  const record = backend.recordAndSubmit;
  const byShader = new Map<string, number>();
  backend.recordAndSubmit = function (program, ...rest) {
    byShader.set(program.shaderKey, (byShader.get(program.shaderKey) ?? 0) + 1);
    record.call(this, program, ...rest);
  };
  await version.step();
  backend.recordAndSubmit = record;
  const total = [...byShader.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${total} GPU dispatches per step, by shader key`);
  for (const [key, n] of [...byShader].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${key}`);
}
