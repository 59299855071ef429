import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../../data/errors.js';
import { readJsonlStructures } from '../../../data/datasets/jsonl.js';
import type { StructureRecord } from '../../../data/datasets/record.js';
import { sharedDir } from '../../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'jsonl-test-'));

function writeGz(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
  return path;
}

async function collect(path: string, targetKey?: string): Promise<StructureRecord[]> {
  const out: StructureRecord[] = [];
  for await (const r of readJsonlStructures(path, { targetKey })) out.push(r);
  return out;
}

async function rejects(path: string | [string, string], ...fragments: string[]): Promise<void> {
  try {
    await (typeof path === 'string' ? collect(path) : collect(path[0], path[1]));
  } catch (e) {
    assert.instance(e, InputError);
    for (const f of fragments) assert.ok((e as Error).message.includes(f), `${(e as Error).message} lacks ${f}`);
    return;
  }
  assert.unreachable('expected an InputError');
}

const nacl = {
  id: 'x-1',
  lattice: [
    [0, 2.8, 2.8],
    [2.8, 0, 2.8],
    [2.8, 2.8, 0],
  ],
  species: ['Na', 'Cl'],
  frac_coords: [
    [0, 0, 0],
    [0.5, 0.5, 0.5],
  ],
  target: 5.1,
  e_form: -2,
};

test('reads gzipped records: atomic numbers, Cartesian = frac · lattice rows, target (and another target key)', async () => {
  const path = writeGz('ok.jsonl.gz', [
    JSON.stringify(nacl),
    '',
    JSON.stringify({ ...nacl, id: 'x-2', species: ['Li', 'O2-'], target: 0 }),
  ]);
  const recs = await collect(path);
  assert.is(recs.length, 2);
  assert.equal(Array.from(recs[0].atoms.numbers), [11, 17]);
  // 0.5·(a + b + c) = 0.5·(5.6, 5.6, 5.6)
  assert.equal(Array.from(recs[0].atoms.cart), [0, 0, 0, 2.8, 2.8, 2.8]);
  assert.is(recs[0].target, 5.1);
  assert.is(recs[1].atoms.id, 'x-2');
  assert.equal(Array.from(recs[1].atoms.numbers), [3, 8]);
  assert.equal(
    (await collect(path, 'e_form')).map((r) => r.target),
    [-2, -2],
  );
  await rejects(
    [writeGz('no-ef.jsonl.gz', [JSON.stringify({ ...nacl, e_form: undefined })]), 'e_form'],
    'no-ef.jsonl.gz:1',
    "'e_form'",
  );
});

test('bad lines are InputErrors naming file:line and the key', async () => {
  await rejects(writeGz('a.jsonl.gz', [JSON.stringify(nacl), '{not json']), 'a.jsonl.gz:2', 'not valid JSON');
  await rejects(writeGz('b.jsonl.gz', [JSON.stringify({ ...nacl, target: null })]), 'b.jsonl.gz:1', "'target'");
  await rejects(
    writeGz('c.jsonl.gz', [JSON.stringify({ ...nacl, species: ['Na', 'Xx'] })]),
    'c.jsonl.gz:1',
    'species[1]',
    'Xx',
  );
  await rejects(
    writeGz('d.jsonl.gz', [JSON.stringify({ ...nacl, frac_coords: [[0, 0, 0]] })]),
    'd.jsonl.gz:1',
    'frac_coords has 1 rows for 2 species',
  );
  await rejects(
    writeGz('e.jsonl.gz', [JSON.stringify(nacl), JSON.stringify(nacl)]),
    'e.jsonl.gz:2',
    "duplicate id 'x-1'",
  );
  await rejects(
    writeGz('f.jsonl.gz', [
      JSON.stringify({
        ...nacl,
        lattice: [
          [1, 0, 0],
          [0, 1, 0],
        ],
      }),
    ]),
    'f.jsonl.gz:1',
    'lattice',
  );
  await rejects(join(dir, 'missing.jsonl.gz'), 'missing.jsonl.gz', 'cannot read');
});

test('mp-bandgap-36k: the first record is mp-1 (Cs, gap 0 eV), streamed without reading the rest', async () => {
  const path = join(sharedDir, 'pretrain-data', 'mp-bandgap-36k', 'mp_bandgap_36k.jsonl.gz');
  const it = readJsonlStructures(path);
  const first = await it.next();
  await it.return(undefined);
  assert.ok(!first.done);
  const r = first.value as StructureRecord;
  assert.is(r.atoms.id, 'mp-1');
  assert.equal(Array.from(r.atoms.numbers), [55]);
  assert.is(r.target, 0);
});

test.run();
