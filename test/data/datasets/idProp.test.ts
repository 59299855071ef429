import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCifDirectory, readIdProp } from '../../../data/datasets/idProp.js';
import type { StructureRecord } from '../../../data/datasets/record.js';
import { InputError } from '../../../data/errors.js';
import { atomsFromCif } from '../../../graph/featurize.js';
import { throwsInputError } from '../../helpers/inputError.js';
import { obelixDir } from '../../helpers/paths.js';

const ids = ['00x', '0iv'];

function cifDir(csv: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'idprop-test-'));
  for (const id of ids) copyFileSync(join(obelixDir, 'cifs', `${id}.cif`), join(dir, `${id}.cif`));
  writeFileSync(join(dir, 'id_prop.csv'), csv);
  return dir;
}

async function collect(dir: string): Promise<StructureRecord[]> {
  const out: StructureRecord[] = [];
  for await (const r of readCifDirectory(dir)) out.push(r);
  return out;
}

test('id,target rows without header, and with one', () => {
  const dir = cifDir('00x,-4.5\n0iv,1e-3\n');
  assert.equal(readIdProp(join(dir, 'id_prop.csv')), [
    { id: '00x', target: -4.5 },
    { id: '0iv', target: 0.001 },
  ]);
  writeFileSync(join(dir, 'h.csv'), 'id,log_sigma\n00x,2\n');
  assert.equal(readIdProp(join(dir, 'h.csv')), [{ id: '00x', target: 2 }]);
});

test('CIF directory: records in id_prop order, atoms as the OBELiX reader rounds them', async () => {
  const dir = cifDir('0iv,1.5\n00x,-2\n');
  const recs = await collect(dir);
  assert.equal(
    recs.map((r) => [r.atoms.id, r.target]),
    [
      ['0iv', 1.5],
      ['00x', -2],
    ],
  );
  const ref = atomsFromCif(join(obelixDir, 'cifs', '0iv.cif'));
  assert.equal(Array.from(recs[0].atoms.numbers), Array.from(ref.numbers));
  assert.equal(Array.from(recs[0].atoms.cart), Array.from(ref.cart));
});

test('errors name the file and line: bad target, duplicate id, missing CIF', async () => {
  const dir = cifDir('00x,1\n0iv,abc\n');
  throwsInputError(() => readIdProp(join(dir, 'id_prop.csv')), 'id_prop.csv:2', "'abc'");
  writeFileSync(join(dir, 'dup.csv'), '00x,1\n00x,2\n');
  throwsInputError(() => readIdProp(join(dir, 'dup.csv')), 'dup.csv:2', "duplicate id '00x'");
  throwsInputError(() => readIdProp(join(dir, 'none.csv')), 'none.csv', 'not found');
  writeFileSync(join(dir, 'id_prop.csv'), '00x,1\nzzz,2\n');
  try {
    await collect(dir);
    assert.unreachable('missing CIF accepted');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, /id 'zzz' has no CIF/);
  }
});

test.run();
