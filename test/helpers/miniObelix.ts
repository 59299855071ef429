/** A small OBELiX-format directory (a few CIF entries of the real release) for fast end-to-end tests. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObelix, type ObelixDataset } from '../../data/obelix.js';
import { obelixDir } from './paths.js';

/** The first `train` training and `test` test entries that have a CIF, with their files. */
export function miniObelix(train = 12, test = 4): ObelixDataset {
  const full = loadObelix(obelixDir);
  const pick = (ids: string[], n: number): string[] => ids.filter((id) => full.byId.get(id)!.hasCif).slice(0, n);
  const trainIds = pick(full.trainIds, train);
  const testIds = pick(full.testIds, test);
  const dir = mkdtempSync(join(tmpdir(), 'mini-obelix-'));
  mkdirSync(join(dir, 'cifs'));
  const keep = new Set([...trainIds, ...testIds]);
  const lines = readFileSync(join(obelixDir, 'processed.csv'), 'utf8').trim().split('\n');
  writeFileSync(
    join(dir, 'processed.csv'),
    [lines[0], ...lines.slice(1).filter((l) => keep.has(l.split(',')[0]))].join('\n'),
  );
  writeFileSync(join(dir, 'train_idx.csv'), ['ID', ...trainIds].join('\n'));
  writeFileSync(join(dir, 'test_idx.csv'), ['ID', ...testIds].join('\n'));
  for (const id of keep) copyFileSync(join(obelixDir, 'cifs', `${id}.cif`), join(dir, 'cifs', `${id}.cif`));
  return loadObelix(dir, { checkCounts: false });
}
