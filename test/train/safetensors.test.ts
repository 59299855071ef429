import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../data/errors.js';
import { readSafetensors, readSafetensorsFile, writeSafetensors } from '../../train/safetensors.js';
import { fixturesDir, pretrainedDir, requireShared } from '../helpers/paths.js';

/** Expected values from scripts/reference/safetensors.py (numpy/torch). */
const ref = JSON.parse(readFileSync(join(fixturesDir, 'safetensors-ref.json'), 'utf8')) as {
  mixed: Record<string, number[]>;
  mixed_metadata: Record<string, string>;
  schnet: Record<string, { shape: number[]; sum: number; first: number }>;
  schnet_metadata: Record<string, string>;
};

const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('reads a file written by Python with every supported dtype, converting to float32', () => {
  const { tensors, metadata } = readSafetensorsFile(join(fixturesDir, 'safetensors-mixed.safetensors'));
  assert.equal(metadata, ref.mixed_metadata);
  assert.equal([...tensors.keys()].sort(), Object.keys(ref.mixed).sort());
  for (const [k, want] of Object.entries(ref.mixed)) assert.equal(Array.from(tensors.get(k)!.data), want, k);
  assert.equal(tensors.get('z_f64')!.shape, [2, 3]);
  assert.is(tensors.get('z_f64')!.dtype, 'F64');
  assert.equal(tensors.get('scalar')!.shape, []);
});

test('reads the SchNetPack reference weights: 35 tensors, shapes and sums as numpy', () => {
  const path = requireShared(join(pretrainedDir, 'schnetpack-reference', 'schnet', 'weights.safetensors'));
  const { tensors, metadata } = readSafetensorsFile(path);
  assert.is(tensors.size, 35);
  assert.equal(metadata, ref.schnet_metadata);
  assert.equal(tensors.get('representation.embedding.weight')!.shape, [100, 80]);
  for (const [k, want] of Object.entries(ref.schnet)) {
    const t = tensors.get(k)!;
    assert.equal(t.shape, want.shape, k);
    assert.is(t.data[0], want.first, k);
    const sum = t.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - want.sum) <= 1e-9 * Math.max(1, Math.abs(want.sum)), `${k}: sum ${sum} vs ${want.sum}`);
  }
  assert.equal(Array.from(tensors.get('representation.cutoff_fn.cutoff')!.data), [5]);
});

test('round trip: values, shapes, metadata; header padded to 8 bytes; atomic (no temp file left)', () => {
  const path = join(dir, 'w.safetensors');
  const tensors = new Map([
    ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
    ['a', { shape: [1], data: Float32Array.from([Math.PI]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
  writeSafetensors(path, tensors, { epoch: '3' });
  const back = readSafetensorsFile(path);
  assert.equal(back.metadata, { epoch: '3' });
  for (const [k, t] of tensors) {
    assert.equal(back.tensors.get(k)!.shape, t.shape);
    assert.equal(Array.from(back.tensors.get(k)!.data), Array.from(t.data));
    assert.is(back.tensors.get(k)!.dtype, 'F32');
  }
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  assert.is(n % 8, 0);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: number[] }>;
  assert.equal(header.a.data_offsets, [0, 4]); // sorted by name
  assert.is(buf.length, 8 + n + 4 * 7);
  assert.equal(readdirSync(dir), ['w.safetensors']);
  // a plain object works too, and overwriting replaces the file
  writeSafetensors(path, { only: { shape: [2], data: Float32Array.from([1, 2]) } });
  assert.equal([...readSafetensors(path).keys()], ['only']);
});

test('writer rejects data that does not match the shape', () => {
  assert.throws(
    () => writeSafetensors(join(dir, 'bad.safetensors'), { x: { shape: [3], data: new Float32Array(2) } }),
    /"x" has 2 values for shape \[3\]/,
  );
  assert.equal(
    readdirSync(dir).filter((f) => f.startsWith('bad')),
    [],
  );
});

test('broken files give an InputError naming the file and tensor', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['short.safetensors', Buffer.from([1, 2, 3]), /not a safetensors file/],
    [
      'long-header.safetensors',
      Buffer.concat([Buffer.from([255, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]),
      /header length 255 exceeds/,
    ],
  ];
  const bad = (h: object, data = Buffer.alloc(0)) => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([len, json, data]);
  };
  cases.push([
    'dtype.safetensors',
    bad({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8)),
    /tensor "w" has unsupported dtype C64/,
  ]);
  cases.push([
    'offsets.safetensors',
    bad({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, Buffer.alloc(16)),
    /tensor "w" \(F32 \[2,2\]\) has data_offsets \[0, 12\]/,
  ]);
  cases.push([
    'json.safetensors',
    Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x')]),
    /header is not valid JSON/,
  ]);
  for (const [name, bytes, re] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    try {
      readSafetensors(path);
      assert.unreachable(`${name}: no error`);
    } catch (e) {
      assert.instance(e, InputError, name);
      assert.match((e as Error).message, re);
      assert.ok((e as Error).message.startsWith(path), (e as Error).message);
    }
  }
  assert.throws(
    () => readSafetensors(join(dir, 'missing.safetensors')),
    (e: Error) => e instanceof InputError && /cannot read/.test(e.message),
  );
});

test.run();
