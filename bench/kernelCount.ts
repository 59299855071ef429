/**
 * Kernels per training step (forward, backward, optimiser update; one batch of the config's batch size, all its
 * micro-batches) of each paper-best config, for two versions of the code on one backend: the dispatch count that
 * dominates a GPU step at OBELiX's size (docs/performance.md). Prints a markdown table.
 *
 *   node --import tsx bench/kernelCount.ts [--a HEAD] [--b worktree] [--backend wasm]   (webgpu: GPU dispatches too)
 *                                          [--configs cgcnn,schnet,painn,so3net,m3gnet]
 *                                          [--set training.batch_size=8 ...]   (config overrides, e.g. a smaller batch)
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { prepareVersion, realBatches } from './versions.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string', default: 'HEAD' },
    b: { type: 'string', default: 'worktree' },
    backend: { type: 'string', default: 'wasm' },
    configs: { type: 'string', default: 'cgcnn,schnet,painn,so3net,m3gnet' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const backend = await initBackend(args.backend as BackendName);
const gpu = backend.name === 'webgpu';
console.log(
  `| config (${backend.name}) | kernels/step ${args.a} | kernels/step ${args.b} | ratio |${gpu ? ` dispatches/step ${args.a} | dispatches/step ${args.b} | ratio |` : ''}`,
);
console.log(`|---|---:|---:|---:|${gpu ? '---:|---:|---:|' : ''}`);
for (const name of args.configs!.split(',')) {
  const config = loadConfig(`configs/${name}.yaml`, [`backend=${args.backend}`, 'data.validation=null', ...args.set!]);
  const batches = await realBatches(config, 1);
  const counts: number[] = [];
  const dispatches: number[] = [];
  for (const [label, ref] of [
    ['A', args.a!],
    ['B', args.b!],
  ]) {
    const version = await prepareVersion(label, ref, config, batches);
    await version.step(); // warm-up: a first call may launch extra kernels (weight initialisation, packing)
    counts.push(await version.kernelsPerStep());
    dispatches.push((await version.dispatchesPerStep()) ?? NaN);
  }
  const dispatchCells = gpu
    ? ` ${dispatches[0]} | ${dispatches[1]} | ${(dispatches[1] / dispatches[0]).toFixed(3)} |`
    : '';
  console.log(`| ${name} | ${counts[0]} | ${counts[1]} | ${(counts[1] / counts[0]).toFixed(3)} |${dispatchCells}`);
}
