/**
 * Writes the graphs of a config's OBELiX training CIFs (as bench/epoch.ts trains on them) for the PyTorch anchor
 * (bench/gpu/torch_anchor.py), so both time the same epoch: same crystals, neighbor lists, targets and settings.
 *
 *   node --import tsx bench/gpu/exportGraphs.ts --config configs/schnet.yaml --out /tmp/schnet.graphs [--structures N]
 *
 * Format: one line of JSON (the config's model, graph and training sections, and per crystal its id, atom and edge
 * counts and target), then per crystal, little-endian: numbers int32[N], src int32[E], dst int32[E],
 * distances float32[E]. CGCNN's atom features come from data/atom_init.json, written into the header as rows by Z.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadAtomInit } from '../../data/atomInit.js';
import { splitEntries } from '../../data/obelix.js';
import { loadConfig } from '../../train/config.js';
import { samplesFor } from '../../graph/featurize.js';
import { loadDataset } from '../../train/run.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'configs/schnet.yaml' },
    out: { type: 'string' },
    structures: { type: 'string' },
  },
});
if (!values.out) throw new Error('--out FILE is required');

const config = loadConfig(values.config!, ['backend=cpu', 'data.validation=null']);
const ds = await loadDataset(config, undefined, () => {});
const structures = values.structures === undefined ? Infinity : Number(values.structures);
const samples = samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }).slice(0, structures), config);
const table = config.model.name === 'cgcnn' ? loadAtomInit() : null;
const header = {
  model: config.model,
  graph: config.graph,
  training: config.training,
  seed: config.seed,
  atom_init: table ? { rows: Array.from(table.rows), length: table.length, max_z: table.maxZ } : null,
  samples: samples.map((s) => ({ id: s.id, atoms: s.numbers.length, edges: s.src.length, target: s.target })),
};
const fd = openSync(values.out, 'w');
writeSync(fd, `${JSON.stringify(header)}\n`);
const bytes = (a: Int32Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
for (const s of samples) for (const a of [s.numbers, s.src, s.dst, s.distances]) writeSync(fd, bytes(a));
closeSync(fd);
console.log(`${samples.length} crystals, ${samples.reduce((a, s) => a + s.src.length, 0)} edges -> ${values.out}`);
