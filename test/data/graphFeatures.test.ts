import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCif } from '../../data/cif.js';
import { parseCifBlock } from '../../data/cifBlock.js';
import { elementSymbol, lookupElement } from '../../data/elements.js';
import { parseComposition } from '../../data/features.js';
import { loadObelix } from '../../data/obelix.js';
import {
  cellComposition,
  cifGraphFeatures,
  cifGraphInfo,
  compositionFractions,
  crystalSystem,
  graphFeatureSize,
  graphFeatures,
} from '../../data/graphFeatures.js';
import { throwsInputError } from '../helpers/inputError.js';
import { obelixDir, requireShared } from '../helpers/paths.js';

/** A CsCl-like cell with a Li/vacancy site: Li 0.5, Cs 1 (Cl 1), so fractions Li 0.5/2.5, Cs 1/2.5, Cl 1/2.5. */
const toyCif = (extra = '', z = 1): string => `data_toy
_cell_length_a 4.0
_cell_length_b 4.0
_cell_length_c ${4.0 * z}
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
${extra}
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
${Array.from(
  { length: z },
  (_, k) => `Cs${k} Cs 0 0 ${k / z} 1
Cl${k} Cl 0.5 0.5 ${(k + 0.5) / z} 1
Li${k} Li 0.5 0 ${k / z} 0.5`,
).join('\n')}
`;

test('composition fractions: hand-computed, unrounded (a half-occupied Li counts half)', () => {
  const x = compositionFractions(parseCif(toyCif(), 'toy.cif'), 'toy.cif');
  assert.ok(Math.abs(x[lookupElement('Li') - 1] - 0.5 / 2.5) < 1e-12);
  assert.ok(Math.abs(x[lookupElement('Cs') - 1] - 1 / 2.5) < 1e-12);
  assert.ok(Math.abs(x[lookupElement('Cl') - 1] - 1 / 2.5) < 1e-12);
  assert.ok(Math.abs(x.reduce((a, b) => a + b, 0) - 1) < 1e-12);
});

test('composition is intensive: a 1x1x3 supercell gives the same fractions', () => {
  const a = compositionFractions(parseCif(toyCif(), 'a.cif'), 'a.cif');
  const b = compositionFractions(parseCif(toyCif('', 3), 'b.cif'), 'b.cif');
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-12, `element ${k + 1}`);
});

test('cell composition: atoms per cell, unrounded and extensive (a 1x1x3 supercell has three times as many)', () => {
  const li = lookupElement('Li') - 1;
  const cs = lookupElement('Cs') - 1;
  const one = cellComposition(parseCif(toyCif(), 'a.cif'), 'a.cif');
  const three = cellComposition(parseCif(toyCif('', 3), 'b.cif'), 'b.cif');
  assert.ok(Math.abs(one[li] - 0.5) < 1e-12 && Math.abs(one[cs] - 1) < 1e-12);
  assert.ok(Math.abs(three[li] - 1.5) < 1e-12 && Math.abs(three[cs] - 3) < 1e-12);
  const f = graphFeatures(parseCif(toyCif(), 'a.cif'), {}, ['cell_composition'], 'a.cif');
  assert.is(f.length, 94);
  assert.ok(Math.abs(f[li] - Math.log(1.5)) < 1e-6 && Math.abs(f[cs] - Math.log(2)) < 1e-6);
  assert.is(f[lookupElement('Na') - 1], 0);
});

test('crystal systems at every boundary of the space-group numbers', () => {
  const cases: Array<[number, number]> = [
    [1, 0],
    [2, 0],
    [3, 1],
    [15, 1],
    [16, 2],
    [74, 2],
    [75, 3],
    [142, 3],
    [143, 4],
    [167, 4],
    [168, 5],
    [194, 5],
    [195, 6],
    [230, 6],
  ];
  for (const [sg, system] of cases) assert.is(crystalSystem(sg), system, `space group ${sg}`);
});

test('feature layout: composition [94], space_group [n/230 + one-hot system], z [ln Z], in the order named', () => {
  assert.is(graphFeatureSize([]), 0);
  assert.is(graphFeatureSize(['composition', 'space_group', 'z']), 103);
  const text = toyCif('_symmetry_Int_Tables_number 221\n_cell_formula_units_Z 4');
  const crystal = parseCif(text, 'toy.cif');
  const info = cifGraphInfo(text, 'toy.cif');
  assert.equal(info, { spaceGroup: 221, formulaUnits: 4 });
  const f = graphFeatures(crystal, info, ['z', 'space_group'], 'toy.cif');
  assert.is(f.length, 9);
  assert.ok(Math.abs(f[0] - Math.log(4)) < 1e-6);
  assert.ok(Math.abs(f[1] - 221 / 230) < 1e-6);
  assert.equal(Array.from(f.slice(2)), [0, 0, 0, 0, 0, 0, 1]);
});

test('missing or bad tags name the file and the tag', () => {
  const text = toyCif();
  throwsInputError(
    () => graphFeatures(parseCif(text, 'toy.cif'), cifGraphInfo(text, 'toy.cif'), ['space_group'], 'toy.cif'),
    'toy.cif',
    '_symmetry_Int_Tables_number',
  );
  throwsInputError(
    () => graphFeatures(parseCif(text, 'toy.cif'), cifGraphInfo(text, 'toy.cif'), ['z'], 'toy.cif'),
    'toy.cif',
    '_cell_formula_units_Z',
  );
  throwsInputError(() => cifGraphInfo(toyCif('_symmetry_Int_Tables_number 231'), 'bad.cif'), 'bad.cif', '231');
  throwsInputError(
    () => cifGraphInfo(toyCif('_cell_formula_units_Z 0'), 'bad.cif'),
    'bad.cif',
    '_cell_formula_units_Z',
  );
  const dir = mkdtempSync(join(tmpdir(), 'gf-'));
  throwsInputError(() => cifGraphFeatures(join(dir, 'missing.cif'), ['composition']), 'missing.cif');
  writeFileSync(join(dir, 'u.cif'), toyCif().replace('Cs0 Cs', 'Cm0 Cm'));
  throwsInputError(() => cifGraphFeatures(join(dir, 'u.cif'), ['composition']), 'u.cif', 'Cm', 'H…Pu');
});

test("OBELiX: for all 321 CIFs the site-summed composition equals the CIF's own _chemical_formula_sum", () => {
  const dir = requireShared(join(obelixDir, 'cifs'));
  const files = readdirSync(dir).filter((f) => f.endsWith('.cif'));
  assert.is(files.length, 321);
  for (const f of files) {
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    const x = compositionFractions(parseCif(text, path), path);
    const sum = parseCifBlock(text, path).columns.get('_chemical_formula_sum');
    assert.ok(sum, `${f} has a formula sum`);
    const comp = parseComposition(sum!.values[0].text, f);
    const total = [...comp.values()].reduce((a, b) => a + b, 0);
    for (const [el, n] of comp) assert.ok(Math.abs(x[lookupElement(el) - 1] - n / total) < 1e-3, `${f} ${el}`);
    const info = cifGraphInfo(text, path);
    assert.ok(info.spaceGroup !== undefined && info.formulaUnits !== undefined, `${f} has space group and Z`);
  }
  // the argyrodite 09w: Li24.19992 Si0.2 P3.8 S20 Br4, F-43m (216, cubic), Z = 1
  const f = cifGraphFeatures(join(dir, '09w.cif'), ['composition', 'space_group', 'z']);
  assert.ok(Math.abs(f[2] - 24.19992 / 52.19992) < 1e-5);
  assert.ok(Math.abs(f[94] - 216 / 230) < 1e-6);
  assert.is(f[95 + 6], 1);
  assert.is(f[102], 0);
  const cell = cifGraphFeatures(join(dir, '09w.cif'), ['cell_composition']);
  assert.ok(Math.abs(cell[2] - Math.log1p(24.19992)) < 1e-5);
  assert.ok(Math.abs(cell[lookupElement('Br') - 1] - Math.log1p(4)) < 1e-5);
});

test("OBELiX: the table's composition columns are the CIF's cell content for 279 of the 321 files (every element within 5 %)", () => {
  const ds = loadObelix(requireShared(obelixDir));
  let agree = 0;
  let total = 0;
  for (const e of ds.entries) {
    if (!e.hasCif) continue;
    total++;
    const path = ds.cifPath(e.id);
    const cell = cellComposition(parseCif(readFileSync(path, 'utf8'), path), path);
    const table = parseComposition(e.composition, e.id);
    const elements = new Set([
      ...table.keys(),
      ...[...cell.keys()].filter((k) => cell[k] > 0).map((k) => elementSymbol(k + 1)),
    ]);
    if (
      [...elements].every((el) => {
        const a = table.get(el) ?? 0;
        const b = cell[lookupElement(el) - 1];
        return Math.abs(a - b) <= 0.05 * Math.max(a, b);
      })
    )
      agree++;
  }
  assert.is(total, 321);
  assert.is(agree, 279);
});

test.run();
