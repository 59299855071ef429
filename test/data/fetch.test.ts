import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyObelix, hasObelix, OBELIX_RELEASE, sha256 } from '../../data/fetch.js';
import { readTar } from '../../data/tar.js';
import { loadObelix } from '../../data/obelix.js';
import { obelixDir } from '../helpers/paths.js';

test('the shared copy has the pinned checksums', () => {
  for (const f of OBELIX_RELEASE) {
    const data = readFileSync(join(obelixDir, f.name));
    assert.is(data.length, f.bytes, f.name);
    assert.is(sha256(data), f.sha256, f.name);
  }
});

test('the release tarball unpacks to the 321 CIFs byte for byte', () => {
  const files = readTar(readFileSync(join(obelixDir, 'all_cifs.tar.gz'))).filter((f) => f.path.endsWith('.cif'));
  assert.is(files.length, 321);
  const one = files.find((f) => f.path.endsWith('/00x.cif'))!;
  assert.equal(one.data, readFileSync(join(obelixDir, 'cifs', '00x.cif')));
});

test('--from copies a local release and the result loads', () => {
  const dest = join(mkdtempSync(join(tmpdir(), 'obelix-copy-')), 'fresh', 'dir');
  copyObelix(obelixDir, dest);
  assert.ok(hasObelix(dest));
  assert.is(readdirSync(join(dest, 'cifs')).length, 321);
  assert.is(loadObelix(dest).entries.length, 599);
});

test('a tampered copy is refused with the file named', () => {
  const from = mkdtempSync(join(tmpdir(), 'obelix-bad-'));
  for (const f of ['processed.csv', 'train_idx.csv', 'test_idx.csv']) copyFileSync(join(obelixDir, f), join(from, f));
  writeFileSync(join(from, 'test_idx.csv'), 'ID\nabc');
  mkdirSync(join(from, 'cifs'));
  assert.throws(() => copyObelix(from, mkdtempSync(join(tmpdir(), 'o-'))), /test_idx\.csv: SHA-256/);
});

test.run();
