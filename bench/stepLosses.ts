/**
 * Numerical identity check of two versions of the code: the losses of the first training steps of each
 * paper-best config, on real OBELiX batches, for version A and version B in one process (bench/versions.ts).
 * Run it before committing a refactoring: A = the last commit (HEAD), B = the working tree.
 * A refactoring that claims "behaviour unchanged" must print `equal: true` for every config (bit-identical float32
 * losses; the later steps also compare the gradients and the optimiser update, through the weights they produce).
 *
 *   node --import tsx bench/stepLosses.ts [--a HEAD] [--b worktree] [--steps 3] [--backend wasm]
 *                                         [--configs cgcnn,schnet,painn,so3net,m3gnet]
 *                                         [--set training.batch_size=8 ...]   (config overrides, as kernelCount.ts)
 * Exits 1 when any config differs.
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { prepareVersion, realBatches } from './versions.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string', default: 'HEAD' },
    b: { type: 'string', default: 'worktree' },
    steps: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    configs: { type: 'string', default: 'cgcnn,schnet,painn,so3net,m3gnet' },
    set: { type: 'string', multiple: true, default: [] },
  },
});

const backend = await initBackend(args.backend as BackendName);
let allEqual = true;
for (const name of args.configs!.split(',')) {
  const config = loadConfig(`configs/${name}.yaml`, [`backend=${args.backend}`, 'data.validation=null', ...args.set!]);
  const batches = await realBatches(config, Number(args.steps));
  const losses: Record<string, number[]> = {};
  for (const [label, ref] of [
    ['A', args.a!],
    ['B', args.b!],
  ]) {
    const version = await prepareVersion(label, ref, config, batches);
    await version.step();
    losses[label] = version.firstLosses;
  }
  const equal = losses.A.length === losses.B.length && losses.A.every((v, i) => Object.is(v, losses.B[i]));
  allEqual &&= equal;
  console.log(JSON.stringify({ config: name, backend: backend.name, a: args.a, b: args.b, losses, equal }));
}
process.exit(allEqual ? 0 : 1);
