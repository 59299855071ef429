/**
 * Samples of a generic dataset (`data.dataset: jsonl | cif_dir`, data/datasets/) for training: a seeded random
 * train/validation split, optionally of a slice (`data.limit`), with graphs built once into the on-disk cache
 * (graph/diskCache.ts) and read back chunk by chunk. Samples are built as OBELiX's are (graph/featurize.ts
 * `featurize`), so the occupancy mode and the graph-level features work here too.
 *
 * Memory decision (measured, bench/pretrainData.ts): the trainer takes in-memory sample arrays, so the selected
 * structures' graphs are all held at once. All 36,737 mp-bandgap-36k graphs at 5 Å are 33.1 M directed edges
 * (902 per crystal, 35 per atom), 952 MiB of sample arrays (1.27 GB resident): inside the few-GiB budget, so no
 * streaming trainer. The cache keeps the build itself at one chunk in memory: first build 174 s (953 MiB on disk),
 * later runs read it in 17 s (2 busy CPU cores).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InputError } from '../data/errors.js';
import { cifDirSource, jsonlSource, randomSplit, type DatasetSource } from '../data/datasets/source.js';
import { readIdProp } from '../data/datasets/idProp.js';
import { resolveDataRef } from '../data/sources.js';
import { join } from 'node:path';
import type { GraphSample } from '../graph/batch.js';
import { openOrBuildCache } from '../graph/diskCache.js';
import type { RunConfig } from './config.js';
import { featurize, graphKey } from '../graph/featurize.js';

export type Log = (line: string) => void;

export function datasetSource(data: RunConfig['data']): DatasetSource {
  if (!data.path) throw new InputError(`data.path: required for data.dataset = ${data.dataset}`);
  const path = resolveDataRef(data.path, 'data.path');
  if (data.dataset === 'jsonl') return jsonlSource(path, data.target_key);
  if (data.dataset === 'cif_dir') return cifDirSource(path, data.id_prop);
  throw new InputError(`data.dataset = ${data.dataset} is not a generic dataset`);
}

/** Number of records without parsing structures (non-empty lines / id_prop rows). */
async function countRecords(data: RunConfig['data']): Promise<number> {
  const path = resolveDataRef(data.path!, 'data.path');
  if (data.dataset === 'cif_dir') return readIdProp(join(path, data.id_prop)).length;
  const file = createReadStream(path);
  const lines = createInterface({
    input: path.endsWith('.gz') ? file.pipe(createGunzip()) : file,
    crlfDelay: Infinity,
  });
  let n = 0;
  for await (const line of lines) if (line.trim()) n++;
  return n;
}

export interface GenericSplit {
  train: GraphSample[];
  val: GraphSample[];
  /** Structures in the whole dataset. */
  total: number;
}

/** Train and validation samples of a generic dataset, graphs from (or into) the disk cache. */
export async function genericSamples(config: RunConfig, log: Log): Promise<GenericSplit> {
  const d = config.data;
  const source = datasetSource(d);
  const total = await countRecords(d);
  if (d.limit !== undefined && d.limit > total)
    throw new InputError(`data.limit = ${d.limit}, but ${source.name} has ${total} structures`);
  const split = randomSplit(total, d.validation_fraction, d.split_seed, d.limit);
  const selected = new Set([...split.train, ...split.val]);
  const t0 = performance.now();
  const spec = config.spec;
  const identity = {
    dataset: await source.fingerprint(),
    graph: graphKey(spec),
    subset: d.limit === undefined ? 'all' : { limit: d.limit, seed: d.split_seed, fraction: d.validation_fraction },
    // named only when not the default, so caches built before these options existed keep their key
    occupancy: spec.occupancy === 'round' ? undefined : spec.occupancy,
    graph_features: spec.graph_features.length ? spec.graph_features : undefined,
  };
  const cache = await openOrBuildCache(
    async function* () {
      let i = 0;
      for await (const r of source.records()) {
        if (selected.has(i++))
          yield featurize(
            { atoms: r.atoms, crystal: r.crystal, cifText: r.cifText, source: `${source.name}: ${r.atoms.id}` },
            spec,
            r.target,
          );
      }
    },
    { root: d.cache_dir, identity, log },
  );
  const samples = cache.load();
  if (samples.length !== selected.size)
    throw new InputError(
      `${cache.dir}: holds ${samples.length} graphs, expected ${selected.size} (delete it to rebuild)`,
    );
  // The cache holds the selected records in file order; map positions back to them.
  const positions = [...selected].sort((a, b) => a - b);
  const byPosition = new Map(positions.map((p, k) => [p, samples[k]]));
  const edges = samples.reduce((a, s) => a + s.src.length, 0);
  log(
    `dataset: ${source.name}: ${split.train.length} train + ${split.val.length} validation of ${total} structures, ${edges} edges, graphs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { train: split.train.map((p) => byPosition.get(p)!), val: split.val.map((p) => byPosition.get(p)!), total };
}
