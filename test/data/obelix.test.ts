import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadObelix, splitEntries, parseConductivity, subsetDataset } from '../../data/obelix.js';
import { atomsFromCif } from '../../graph/featurize.js';
import { QUICK_MAX_ATOMS } from '../../train/report/table2.js';
import { InputError } from '../../data/errors.js';
import { obelixDir } from '../helpers/paths.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

test('release counts: 478/121 rows, 254/67 with CIF', () => {
  const ds = loadObelix(obelixDir);
  assert.is(ds.entries.length, 599);
  assert.is(splitEntries(ds, 'train').length, 478);
  assert.is(splitEntries(ds, 'test').length, 121);
  assert.is(splitEntries(ds, 'train', { cifOnly: true }).length, 254);
  assert.is(splitEntries(ds, 'test', { cifOnly: true }).length, 67);
});

test('target statistics match the protocol (docs/protocol.md §1.2)', () => {
  const ds = loadObelix(obelixDir);
  const train = splitEntries(ds, 'train').map((e) => e.target);
  const trainCif = splitEntries(ds, 'train', { cifOnly: true }).map((e) => e.target);
  assert.ok(Math.abs(mean(train) - -5.43594) < 1e-5, String(mean(train)));
  assert.ok(Math.abs(median(train) - -4.30898) < 1e-5, String(median(train)));
  assert.ok(Math.abs(mean(trainCif) - -6.34315) < 1e-5, String(mean(trainCif)));
  assert.ok(Math.abs(median(trainCif) - -5.07621) < 1e-5, String(median(trainCif)));
  assert.is(ds.entries.filter((e) => e.target === -15).length, 37);
});

test('upper bounds become 1e-15, garbage is rejected with the location', () => {
  assert.is(parseConductivity('<1E-10', 'x'), 1e-15);
  assert.is(parseConductivity('<1E-8', 'x'), 1e-15);
  assert.is(parseConductivity('3.2e-4', 'x'), 3.2e-4);
  assert.throws(
    () => parseConductivity('n/a', 'f.csv:7'),
    (e: Error) => e instanceof InputError && e.message.includes('f.csv:7'),
  );
  assert.throws(() => parseConductivity('NaN', 'f.csv:7'), /f\.csv:7/);
});

test('a missing file and an unknown ID are named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'obelix-'));
  assert.throws(() => loadObelix(dir), /train_idx\.csv/);
  mkdirSync(join(dir, 'cifs'));
  writeFileSync(join(dir, 'train_idx.csv'), 'ID\naaa');
  writeFileSync(join(dir, 'test_idx.csv'), 'ID\nbbb');
  writeFileSync(
    join(dir, 'processed.csv'),
    'ID,Composition,Space group number,a,b,c,alpha,beta,gamma,Ionic conductivity (S cm-1),DOI,CIF\n' +
      'aaa,Li1.0,1,1,1,1,90,90,90,1e-3,x,Match\nzzz,Li1.0,1,1,1,1,90,90,90,1e-3,x,Match\n',
  );
  assert.throws(() => loadObelix(dir, { checkCounts: false }), /processed\.csv:3: ID zzz/);
  writeFileSync(
    join(dir, 'processed.csv'),
    'ID,Composition,Space group number,a,b,c,alpha,beta,gamma,Ionic conductivity (S cm-1),DOI,CIF\n' +
      'aaa,Li1.0,1,1,1,1,90,90,90,1e-3,x,Match\nbbb,Li1.0,1,1,1,1,90,90,90,1e-3,x,Maybe\n',
  );
  assert.throws(() => loadObelix(dir, { checkCounts: false }), /processed\.csv:3: column 'CIF'/);
  assert.throws(() => loadObelix(dir), /expected 478 train|column 'CIF'/);
});

test('subsetDataset keeps split order; the --quick subset is 55 of 254 training and 23 of 67 test CIFs', () => {
  const ds = loadObelix(obelixDir);
  const small = subsetDataset(ds, (e) => e.hasCif && atomsFromCif(ds.cifPath(e.id)).numbers.length <= QUICK_MAX_ATOMS);
  const train = splitEntries(small, 'train', { cifOnly: true });
  assert.is(train.length, 55);
  assert.is(splitEntries(small, 'test', { cifOnly: true }).length, 23);
  const order = new Map(ds.trainIds.map((id, i) => [id, i]));
  for (let k = 1; k < train.length; k++) assert.ok(order.get(train[k - 1].id)! < order.get(train[k].id)!);
  assert.ok(small.entries.every((e) => small.byId.get(e.id) === e));
  assert.is(small.cifPath('abc'), ds.cifPath('abc'));
});

test.run();
