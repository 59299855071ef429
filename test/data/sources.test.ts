import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSource, resolveDataRef } from '../../data/sources.js';
import { InputError } from '../../data/errors.js';
import { throwsInputError } from '../helpers/inputError.js';
import { pretrainedDir } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'sources-'));
process.env.CRYSTAL_GNN_CACHE = join(tmp, 'cache');

test('a fetched: reference that is not fetched says which source to fetch', () => {
  throwsInputError(
    () => resolveDataRef('fetched:matgl-m3gnet-eform', 'init.from'),
    'init.from',
    "run 'crystal-gnn data fetch matgl-m3gnet-eform'",
  );
  throwsInputError(() => resolveDataRef('fetched:nope/x'), "unknown source 'nope'");
  assert.is(resolveDataRef('runs/painn-bandgap'), 'runs/painn-bandgap');
});

test('--from a local copy (any layout) installs the pinned files, checked by SHA-256; a changed copy is refused', async () => {
  await fetchSource('matgl-m3gnet-eform', { from: join(pretrainedDir, 'upstream') });
  const dir = resolveDataRef('fetched:matgl-m3gnet-eform');
  for (const f of ['model.json', 'model.pt', 'state.pt']) assert.ok(existsSync(join(dir, f)), f);
  const bad = join(tmp, 'bad');
  mkdirSync(bad);
  copyFileSync(join(pretrainedDir, 'upstream', 'cgcnn', 'efermi.pth.tar'), join(bad, 'efermi.pth.tar'));
  writeFileSync(join(bad, 'band-gap.pth.tar'), 'not the checkpoint');
  try {
    await fetchSource('cgcnn', { from: bad });
    assert.unreachable('a changed copy was accepted');
  } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /(band-gap|formation-energy-per-atom)\.pth\.tar/);
  }
});

test('mp-bandgap-36k has no download of its own: without --from the error says what to give', async () => {
  try {
    await fetchSource('mp-bandgap-36k');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /--from DIR holding mp_bandgap_36k\.jsonl\.gz/);
  }
  rmSync(tmp, { recursive: true });
});

test.run();
