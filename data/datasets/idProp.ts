/**
 * CGCNN's dataset convention: a directory of `<id>.cif` files plus an `id,target` CSV without a header
 * (`id_prop.csv`). A header row is accepted when its second field is not a number. CIFs go through the same
 * reader and occupancy rounding as OBELiX (graph/featurize.ts `atomsFromCif`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { parseCif, readCifText } from '../cif.js';
import { roundOccupancies } from '../rounding.js';
import type { StructureRecord } from './record.js';

export interface IdPropRow {
  id: string;
  target: number;
}

/** Rows of an `id,target` CSV; errors name the file and line. */
export function readIdProp(path: string): IdPropRow[] {
  if (!existsSync(path)) throw new InputError(`${path}: id_prop file not found`);
  const rows = parse(readFileSync(path, 'utf8'), {
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
  }) as string[][];
  const out: IdPropRow[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const where = `${path}:${i + 1}`;
    if (r.length < 2) throw new InputError(`${where}: expected 'id,target', got ${r.length} field(s)`);
    const target = Number(r[1]);
    if (r[1] === '' || !Number.isFinite(target)) {
      if (i === 0) return; // header
      throw new InputError(`${where}: target '${r[1]}' is not a number`);
    }
    if (seen.has(r[0])) throw new InputError(`${where}: duplicate id '${r[0]}'`);
    seen.add(r[0]);
    out.push({ id: r[0], target });
  });
  if (!out.length) throw new InputError(`${path}: no rows`);
  return out;
}

/** Streams the CIF directory's structures in id_prop order; a missing CIF is an InputError naming it. */
export async function* readCifDirectory(dir: string, idPropFile = 'id_prop.csv'): AsyncGenerator<StructureRecord> {
  const rows = readIdProp(join(dir, idPropFile));
  for (const row of rows) {
    const path = join(dir, `${row.id}.cif`);
    if (!existsSync(path)) throw new InputError(`${join(dir, idPropFile)}: id '${row.id}' has no CIF (${path})`);
    const cifText = readCifText(path);
    const crystal = parseCif(cifText, path);
    const atoms = roundOccupancies(crystal);
    yield { atoms: { ...atoms, id: row.id }, target: row.target, crystal: { ...crystal, id: row.id }, cifText };
  }
}
