/**
 * A generic dataset as the training code sees it: a content fingerprint (for the graph cache key) and a stream of
 * records. `jsonl`: one `.jsonl(.gz)` file; `cif_dir`: CGCNN's CIF directory + id_prop CSV.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readCifDirectory, readIdProp } from './idProp.js';
import { readJsonlStructures } from './jsonl.js';
import type { StructureRecord } from './record.js';

export interface DatasetSource {
  /** Human-readable origin (path). */
  name: string;
  /** sha256 over the dataset's bytes (hex). */
  fingerprint(): Promise<string>;
  records(): AsyncIterable<StructureRecord>;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function jsonlSource(path: string, targetKey = 'target'): DatasetSource {
  if (!existsSync(path) || !statSync(path).isFile()) throw new InputError(`data.path: ${path} is not a file`);
  return {
    name: path,
    fingerprint: async () => `${await hashFile(path)}:${targetKey}`,
    records: () => readJsonlStructures(path, { targetKey }),
  };
}

export function cifDirSource(dir: string, idPropFile = 'id_prop.csv'): DatasetSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`data.path: ${dir} is not a directory`);
  return {
    name: dir,
    fingerprint: async () => {
      const h = createHash('sha256').update(readFileSync(join(dir, idPropFile)));
      for (const row of readIdProp(join(dir, idPropFile))) {
        const cif = join(dir, `${row.id}.cif`);
        if (existsSync(cif)) h.update(row.id).update(readFileSync(cif));
      }
      return h.digest('hex');
    },
    records: () => readCifDirectory(dir, idPropFile),
  };
}

/** Seeded split of n items: a shuffled order, the first `limit` kept (all when absent), the first `fraction` of those for validation. */
export function randomSplit(
  n: number,
  fraction: number,
  seed: number,
  limit?: number,
): { train: number[]; val: number[] } {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  const next = (): number => {
    // mulberry32: small, seedable, platform-independent
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const kept = limit === undefined ? order : order.slice(0, limit);
  const nVal = Math.round(kept.length * fraction);
  return { val: kept.slice(0, nVal), train: kept.slice(nVal) };
}
