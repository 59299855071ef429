/**
 * Structures as (optionally gzipped) JSON Lines, one object per line:
 * `{"id", "lattice": [[Å]×3]×3 rows a,b,c, "species": [symbol], "frac_coords": [[f]×3], "target": number}`
 * (the layout of the mp-bandgap-36k pretraining set, docs/pretraining.md). Read as a stream (node:zlib + readline): memory holds
 * one line at a time. `targetKey` picks another numeric field as the target (e.g. `formation_energy_per_atom_eV`).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { atomsFromArrays, type StructureRecord } from './record.js';

export interface JsonlOptions {
  /** Field used as the target (default `target`). */
  targetKey?: string;
}

/** Streams the records of a `.jsonl` or `.jsonl.gz` file; a bad line is an InputError naming `file:line` and the key. */
export async function* readJsonlStructures(path: string, opts: JsonlOptions = {}): AsyncGenerator<StructureRecord> {
  const key = opts.targetKey ?? 'target';
  const file = createReadStream(path);
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const opened = new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve());
    file.once('error', (err) => reject(new InputError(`${path}: cannot read (${err.message})`)));
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const seen = new Set<string>();
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      const where = `${path}:${lineNo}`;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch (err) {
        throw new InputError(`${where}: not valid JSON (${(err as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new InputError(`${where}: expected a JSON object`);
      const id = obj.id;
      if (typeof id !== 'string' || !id) throw new InputError(`${where}: 'id' must be a non-empty string`);
      if (seen.has(id)) throw new InputError(`${where}: duplicate id '${id}'`);
      seen.add(id);
      const target = obj[key];
      if (typeof target !== 'number' || !Number.isFinite(target))
        throw new InputError(`${where}: '${key}' must be a finite number`);
      yield { atoms: atomsFromArrays(id, obj.lattice, obj.species, obj.frac_coords, where), target };
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: read failed near line ${lineNo} (${(err as Error).message})`);
  } finally {
    lines.close();
    file.destroy();
  }
}
