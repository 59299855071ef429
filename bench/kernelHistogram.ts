/**
 * Kernels of one training step by kernel name, for one paper-best config: where a step's dispatches go.
 *
 *   node --import tsx bench/kernelHistogram.ts --config configs/schnet.yaml [--backend wasm]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { prepareVersion, realBatches } from './versions.js';

const { values: args } = parseArgs({
  options: { config: { type: 'string' }, backend: { type: 'string', default: 'wasm' } },
});
await initBackend(args.backend as BackendName);
const config = loadConfig(args.config!, [`backend=${args.backend}`, 'data.validation=null']);
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
