/**
 * mp-bandgap-36k graphs through the disk cache: build (or open) the cache for a config's graph options, then load
 * every selected graph as the trainer would, and print edges, cache size, time and resident memory.
 *   node --import tsx bench/pretrainData.ts [config.yaml] [--set key=value ...]
 * Default: configs/pretrain/painn-bandgap.yaml (cutoff 5 Å, all 36,737 structures).
 */
import { loadConfig } from '../train/config.js';
import { genericSamples } from '../train/pretrain.js';

const args = process.argv.slice(2);
const path = args[0] && !args[0].startsWith('--') ? args.shift()! : 'configs/pretrain/painn-bandgap.yaml';
const sets: string[] = [];
for (let i = 0; i < args.length; i++) if (args[i] === '--set') sets.push(args[++i]);
const config = loadConfig(path, sets);
const t0 = performance.now();
const split = await genericSamples(config, (l) => console.log(l));
const seconds = (performance.now() - t0) / 1000;
const all = [...split.train, ...split.val];
const edges = all.reduce((a, s) => a + s.src.length, 0);
const atoms = all.reduce((a, s) => a + s.numbers.length, 0);
const bytes = all.reduce(
  (a, s) =>
    a +
    s.numbers.byteLength +
    s.src.byteLength +
    s.dst.byteLength +
    s.vectors.byteLength +
    s.distances.byteLength +
    (s.pairs ? s.pairs.edgePair.byteLength + s.pairs.distances.byteLength : 0),
  0,
);
const mem = process.memoryUsage();
console.log(
  JSON.stringify({
    structures: all.length,
    atoms,
    edges,
    edges_per_structure: Math.round(edges / all.length),
    seconds: Number(seconds.toFixed(1)),
    sample_arrays_MiB: Math.round(bytes / 2 ** 20),
    rss_MiB: Math.round(mem.rss / 2 ** 20),
    array_buffers_MiB: Math.round(mem.arrayBuffers / 2 ** 20),
  }),
);
