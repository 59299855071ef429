// Seeded fuzzing of the CIF reader on the real-world fixtures (test/fixtures/cif/): every mutant is either
// a crystal with finite coordinates in [0, 1) or an InputError; never another exception, a hang or NaN.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { parseCif } from '../../data/cif.js';
import { InputError } from '../../data/errors.js';
import { fixturesDir } from '../helpers/paths.js';

const cifDir = join(fixturesDir, 'cif');
const texts = readdirSync(cifDir)
  .sort()
  .map((f) => readFileSync(join(cifDir, f), 'utf8'));
// pieces that reach the reader's branches: quotes, text fields, placeholders, reserved words, symbols
const PIECES = [
  "'",
  '"',
  '\n;',
  ';',
  '.',
  '?',
  '#',
  '\n',
  ' ',
  'loop_\n',
  'data_x\n',
  '_',
  '(',
  ')',
  ',',
  '-',
  '1/3',
  ',+1',
  ':H',
  ' Z',
  'x',
];

function mutate(text: string, rng: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(rng() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * (t.length + 1));
    const kind = rng();
    if (kind < 0.35) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rng() * 8));
    else if (kind < 0.8) t = t.slice(0, at) + PIECES[Math.floor(rng() * PIECES.length)] + t.slice(at);
    else if (kind < 0.9) t = t.slice(0, at);
    else {
      const lines = t.split('\n');
      const i = Math.floor(rng() * lines.length);
      const j = Math.floor(rng() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      t = lines.join('\n');
    }
  }
  return t;
}

test('3000 mutants of the fixture CIFs: a valid crystal or an InputError', () => {
  const rng = seedrandom('cif-fuzz-23');
  let read = 0;
  let refused = 0;
  for (let k = 0; k < 3000; k++) {
    const text = mutate(texts[k % texts.length], rng);
    try {
      const c = parseCif(text, 'fuzz.cif', { warn: () => {} });
      for (const s of c.sites) for (const v of s.frac) assert.ok(v >= 0 && v < 1, `mutant ${k}: coordinate ${v}`);
      read++;
    } catch (e) {
      if (!(e instanceof InputError)) throw new Error(`mutant ${k} threw ${String(e)}\n${text}`);
      assert.ok(/^fuzz\.cif(:\d+)?: /.test(e.message), `mutant ${k}: error without the file: ${e.message}`);
      refused++;
    }
  }
  assert.ok(read > 300 && refused > 300, `read ${read}, refused ${refused}`);
});

test.run();
