/**
 * A/B timing of one full training step (collate, forward, loss, backward, optimiser update) of two versions of
 * the code, in ONE process, interleaved, on a fixed set of real OBELiX batches: the robust way to measure a
 * speed-up on a machine whose cores are shared with other jobs (wall-clock seconds drift, ratios much less).
 *
 *   node --import tsx bench/abStep.ts --config configs/cgcnn.yaml [--a HEAD] [--b worktree] [--batches 3]
 *                                     [--rounds 7] [--backend wasm] [--profile]
 * A version is a git ref or `worktree` (bench/versions.ts); the graphs are built once. A round times one pass over the batches
 * per version, in the order ABBA / BAAB alternating; the report gives each version's median ms per step, the
 * ratio A/B (> 1: B is faster) and the first pass's losses (equal when the numerics are).
 * `--profile` prints the top kernels of one step of each version (tf.profile).
 */
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../train/backend.js';
import { loadConfig } from '../train/config.js';
import { prepareVersion, realBatches } from './versions.js';

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const { values: args } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/cgcnn.yaml' },
    a: { type: 'string', default: 'HEAD' },
    b: { type: 'string', default: 'worktree' },
    batches: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    backend: { type: 'string', default: 'wasm' },
    profile: { type: 'boolean', default: false },
  },
});

const config = loadConfig(args.config!, [`backend=${args.backend}`, 'data.validation=null']);
const backend = await initBackend(args.backend as BackendName);
const batches = await realBatches(config, Number(args.batches));

const A = await prepareVersion('A', args.a!, config, batches);
const B = await prepareVersion('B', args.b!, config, batches);
await A.step(); // warm-up (kernel compilation, first allocations); also records the first-pass losses
await B.step();
if (args.profile) {
  await A.profile();
  await B.profile();
}
const times: Record<'A' | 'B', number[]> = { A: [], B: [] };
for (let r = 0; r < Number(args.rounds); r++) {
  const order = r % 2 ? [B, A, A, B] : [A, B, B, A];
  for (const v of order) times[v.label as 'A' | 'B'].push(await v.step());
}
const a = median(times.A),
  b = median(times.B);
console.log(
  JSON.stringify({
    config: args.config,
    backend: backend.name,
    a: args.a,
    b: args.b,
    batches: batches.map((x) => x.length),
    edges: batches.map((x) => x.reduce((n, s) => n + s.src.length, 0)),
    ms_per_step: { A: Number(a.toFixed(1)), B: Number(b.toFixed(1)) },
    ratio_A_over_B: Number((a / b).toFixed(3)),
    samples_per_version: times.A.length,
    first_losses: { A: A.firstLosses, B: B.firstLosses },
  }),
);
