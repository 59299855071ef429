// Real-world CIF forms (issue #23): magnetic operations with centrings, symbol-only symmetry, header
// blocks, '.' coordinates, quoted values over several lines, odd translations. Each small file under
// test/fixtures/cif/ is compared with pymatgen's structure (site count, elements, sorted 5 Å
// distances) from scripts/reference/cifSymmetry.py (test/fixtures/cif-symmetry-ref.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CifReadOptions, parseCif, readCif } from '../../data/cif.js';
import { roundOccupancies } from '../../data/rounding.js';
import type { Crystal } from '../../data/structure.js';
import { radiusGraph } from '../../graph/neighbors.js';
import { throwsInputError } from '../helpers/inputError.js';
import { fixturesDir } from '../helpers/paths.js';

interface StructureRef {
  sites: number;
  elements: string[];
  distances5: number[];
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'cif-symmetry-ref.json'), 'utf8')) as {
  files: Record<string, { routes: string[]; structures: StructureRef[] }>;
};
const cifDir = join(fixturesDir, 'cif');

/** Reads a fixture CIF, collecting its warnings instead of printing them. */
function read(name: string, options: CifReadOptions = {}): { crystal: Crystal; warnings: string[] } {
  const warnings: string[] = [];
  const crystal = readCif(join(cifDir, name), { ...options, warn: (m) => warnings.push(m) });
  return { crystal, warnings };
}

/** Differences between a crystal and pymatgen's structure; [] when they agree. */
function compare(crystal: Crystal, want: StructureRef): string[] {
  const bad: string[] = [];
  const elements = crystal.sites.map((s) => s.species[0].element).sort();
  if (crystal.sites.length !== want.sites) bad.push(`${crystal.sites.length} sites, pymatgen ${want.sites}`);
  if (elements.join(' ') !== want.elements.join(' '))
    bad.push(`elements ${elements.join(' ')} vs ${want.elements.join(' ')}`);
  const got = Float64Array.from(radiusGraph(roundOccupancies(crystal), 5).distances).sort();
  if (got.length !== want.distances5.length)
    bad.push(`${got.length} distances ≤ 5 Å, pymatgen ${want.distances5.length}`);
  else {
    const worst = want.distances5.reduce((m, d, e) => Math.max(m, Math.abs(got[e] - d)), 0);
    if (!(worst < 1e-9)) bad.push(`sorted distances differ by up to ${worst} Å`);
  }
  return bad;
}

function assertLikePymatgen(name: string, options: CifReadOptions = {}, index = 0): string[] {
  const { crystal, warnings } = read(name, options);
  assert.equal(compare(crystal, ref.files[name].structures[index]), [], name);
  return warnings;
}

test('magnetic CIF: every operation times every centring (18 sites, not the 3 written), as pymatgen', () => {
  assert.equal(assertLikePymatgen('magnetic-centred.mcif'), []);
  assert.is(ref.files['magnetic-centred.mcif'].structures[0].sites, 18);
});

test('symbol-only files: P 1 21/n 1, F m -3 m, R -3 m :H and a Hall symbol expand as pymatgen', () => {
  assert.equal(assertLikePymatgen('symbol-monoclinic.cif'), []);
  assert.equal(assertLikePymatgen('symbol-cubic-F.cif'), []);
  assert.equal(assertLikePymatgen('symbol-rhombohedral-H.cif'), []);
  assert.equal(assertLikePymatgen('symbol-hall.cif'), []);
  assert.equal(
    ['symbol-monoclinic.cif', 'symbol-cubic-F.cif', 'symbol-rhombohedral-H.cif', 'symbol-hall.cif'].map(
      (f) => ref.files[f].structures[0].sites,
    ),
    [10, 32, 15, 28],
  );
});

test('operations with negative and non-half constants (-x+1/4, y-1/3, -z-3/4, z+0.125) as pymatgen', () => {
  assert.equal(assertLikePymatgen('odd-translations.cif'), []);
});

test('multi-block file: the header block is skipped, the first structure read, and stderr says so', () => {
  const warnings = assertLikePymatgen('two-blocks.cif');
  assert.is(warnings.length, 1);
  assert.match(
    warnings[0],
    'two-blocks.cif: 2 structures (data_sm_isotypic_first, data_sm_second); read the first, data_sm_isotypic_first',
  );
  // --block picks the other one (case-insensitive), with no note
  assert.equal(assertLikePymatgen('two-blocks.cif', { block: 'SM_SECOND' }, 1), []);
  throwsInputError(
    () => read('two-blocks.cif', { block: 'nope' }),
    'two-blocks.cif',
    'no data block data_nope',
    'data_sm_global, data_sm_isotypic_first, data_sm_second',
  );
});

test("'.' coordinates read as 0 with a warning naming file and line; '?' stays an error", () => {
  const warnings = assertLikePymatgen('dot-coordinate.cif');
  assert.equal(warnings, [
    "test/fixtures/cif/dot-coordinate.cif:20: _atom_site_fract_x is '.' (inapplicable); read as 0".replace(
      'test/fixtures/cif',
      cifDir,
    ),
    "test/fixtures/cif/dot-coordinate.cif:20: _atom_site_fract_y is '.' (inapplicable); read as 0".replace(
      'test/fixtures/cif',
      cifDir,
    ),
    "test/fixtures/cif/dot-coordinate.cif:21: _atom_site_fract_y is '.' (inapplicable); read as 0".replace(
      'test/fixtures/cif',
      cifDir,
    ),
    "test/fixtures/cif/dot-coordinate.cif:22: _atom_site_fract_z is '.' (inapplicable); read as 0".replace(
      'test/fixtures/cif',
      cifDir,
    ),
  ]);
  const text = readFileSync(join(cifDir, 'dot-coordinate.cif'), 'utf8').replace('La1 La . .', 'La1 La ? .');
  throwsInputError(() => parseCif(text, 'q.cif', { warn: () => {} }), 'q.cif:20:', '_atom_site_fract_x has no value');
});

test('quoted values over several lines: recovered with a warning each; structure as pymatgen', () => {
  const warnings = assertLikePymatgen('multiline-quote.cif');
  assert.is(warnings.length, 2);
  assert.match(warnings[0], 'multiline-quote.cif:3: quoted value runs over lines 3-4');
  assert.match(warnings[1], 'multiline-quote.cif:7: quoted value runs over lines 7-8');
});

// Inline cases: refusals and the conventions around symbols.
const CELL = [
  '_cell_length_a 5',
  '_cell_length_b 6',
  '_cell_length_c 7',
  '_cell_angle_alpha 90',
  '_cell_angle_beta 90',
  '_cell_angle_gamma 90',
];
const ATOMS = [
  'loop_',
  '_atom_site_label',
  '_atom_site_fract_x',
  '_atom_site_fract_y',
  '_atom_site_fract_z',
  'Li1 0.1234 0.2345 0.3456',
];
const quiet = { warn: (): void => {} };
const cif = (lines: string[], cell = CELL): string => ['data_t', ...cell, ...lines, ...ATOMS].join('\n');

test('unresolvable or unsupported symmetry is refused with a named error, never read as P1', () => {
  throwsInputError(
    () => parseCif(cif(["_symmetry_space_group_name_H-M 'P 42/x y z'"]), 'u.cif', quiet),
    'u.cif:8:',
    "unknown space-group symbol 'P 42/x y z'",
    '_symmetry_space_group_name_H-M',
  );
  throwsInputError(
    () => parseCif(cif(["_space_group_name_Hall '-P 9z'"]), 'h.cif', quiet),
    'h.cif:8:',
    "unknown Hall symbol '-P 9z'",
  );
  throwsInputError(
    () => parseCif(cif(['_space_group_IT_number 231']), 'n.cif', quiet),
    'n.cif:8:',
    'not a space-group number 1..230',
  );
  throwsInputError(
    () => parseCif(cif(["_space_group_name_H-M_alt 'P n m a'", '_space_group_IT_number 14']), 'd.cif', quiet),
    'd.cif:9:',
    '14 disagrees with',
    '(space group 62)',
  );
  // a monoclinic number alone means b unique: a cell with gamma != 90 fits none of its standard settings
  const cUnique = [...CELL.slice(0, 5), '_cell_angle_gamma 100'];
  throwsInputError(
    () => parseCif(cif(['_symmetry_Int_Tables_number 14'], cUnique), 'm.cif', quiet),
    'm.cif:8:',
    'space group 14',
    'fits none',
  );
  // a rhombohedral symbol on a cell that is neither hexagonal nor rhombohedral
  throwsInputError(
    () => parseCif(cif(["_symmetry_space_group_name_H-M 'R -3 m'"]), 'r.cif', quiet),
    'r.cif:8:',
    "'R -3 m'",
  );
  const magnetic = (tag: string): string => cif(['loop_', tag, 'x,y,z,+1']);
  throwsInputError(
    () => parseCif(magnetic('_space_group_symop_magn_ssg_operation.algebraic'), 's.cif', quiet),
    's.cif:9:',
    'incommensurate (superspace)',
  );
  throwsInputError(() => parseCif(cif(['_cell_wave_vector_x 0.1']), 'w.cif', quiet), 'w.cif:8:', 'incommensurate');
  throwsInputError(
    () => parseCif(cif(["_space_group_magn.name_BNS 'P_c 2 2 2'"]), 'b.cif', quiet),
    'b.cif:8:',
    'magnetic space group named without its operations',
  );
  throwsInputError(
    () => parseCif(magnetic('_space_group_symop_magn_centering.xyz'), 'c.cif', quiet),
    'c.cif:9:',
    'without _space_group_symop_magn_operation.xyz',
  );
  throwsInputError(
    () => parseCif(magnetic('_space_group_symop_magn_operation.xyz').replace('+1', '+2'), 't.cif', quiet),
    't.cif:10:',
    'time-reversal sign',
  );
  throwsInputError(
    () =>
      parseCif(
        cif([
          'loop_',
          '_space_group_symop_magn_operation.xyz',
          'x,y,z,+1',
          'loop_',
          '_space_group_symop_magn_centering.xyz',
          '-x,y,z,+1',
        ]),
        'p.cif',
        quiet,
      ),
    'p.cif:13:',
    'not a pure translation',
  );
});

/** Sorted wrapped positions of the one generic atom, to 4 decimals. */
function orbit(c: Crystal): string[] {
  return c.sites.map((s) => s.frac.map((v) => v.toFixed(4)).join(',')).sort();
}

test('symbol spellings resolve to one setting: short, full, underscores, :origin, ICSD suffixes, Hall, number', () => {
  const same = (a: string[], b: string[], ...spellings: string[]): void => {
    const first = orbit(parseCif(cif(a), 'a.cif', quiet));
    assert.equal(orbit(parseCif(cif(b), 'b.cif', quiet)), first, spellings.join(' vs '));
  };
  const hm = (s: string): string[] => [`_symmetry_space_group_name_H-M '${s}'`];
  same(hm('P 1 21/c 1'), hm('P21/c'), 'P 1 21/c 1', 'P21/c');
  same(hm('P 1 21/c 1'), ['_symmetry_Int_Tables_number 14'], 'P 1 21/c 1', 'No. 14');
  same(hm('P 1 21/n 1'), hm('P 21/n'), 'P 1 21/n 1', 'P 21/n');
  same(hm('P 1 21/n 1'), ["_space_group_name_Hall '-P 2yn'"], 'P 1 21/n 1', '-P 2yn');
  same(hm('P n m a'), hm('Pnma'), 'P n m a', 'Pnma');
  same(hm('F d -3 m :2'), hm('F d -3 m Z'), ':2', 'Z');
  same(hm('F d -3 m :1'), hm('Fd-3m S'), ':1', 'S');
  assert.is(parseCif(cif(hm('P 1 21/n 1')), 'n.cif', quiet).sites.length, 4);
  assert.is(parseCif(cif(hm('P b n m')), 'n.cif', quiet).sites.length, 8);
  assert.is(parseCif(cif(hm('F d -3 m :2')), 'f.cif', quiet).sites.length, 192);
  assert.not.equal(
    orbit(parseCif(cif(hm('F d -3 m :1')), 'a.cif', quiet)),
    orbit(parseCif(cif(hm('F d -3 m :2')), 'b.cif', quiet)),
  );
  // no origin choice stated: the first (as pymatgen and spglib), with a warning
  const warnings: string[] = [];
  const bare = parseCif(cif(hm('F d -3 m')), 'o.cif', { warn: (m) => warnings.push(m) });
  assert.equal(orbit(bare), orbit(parseCif(cif(hm('F d -3 m :1')), 'a.cif', quiet)));
  assert.equal(warnings, [
    "o.cif:8: 'F d -3 m' does not state the origin choice; used origin choice 1 (as pymatgen and spglib do)",
  ]);
  // R groups without :H / :R: the cell decides
  const hex = [
    '_cell_length_a 4',
    '_cell_length_b 4',
    '_cell_length_c 20',
    '_cell_angle_alpha 90',
    '_cell_angle_beta 90',
    '_cell_angle_gamma 120',
  ];
  const rho = [
    '_cell_length_a 6',
    '_cell_length_b 6',
    '_cell_length_c 6',
    '_cell_angle_alpha 40',
    '_cell_angle_beta 40',
    '_cell_angle_gamma 40',
  ];
  assert.is(parseCif(cif(hm('R -3 m'), hex), 'h.cif', quiet).sites.length, 36);
  assert.equal(
    orbit(parseCif(cif(hm('R -3 m'), hex), 'h.cif', quiet)),
    orbit(parseCif(cif(hm('R -3 m :H'), hex), 'h.cif', quiet)),
  );
  assert.is(parseCif(cif(hm('R -3 m'), rho), 'r.cif', quiet).sites.length, 12);
  assert.is(parseCif(cif(['_space_group_IT_number 166'], rho), 'r.cif', quiet).sites.length, 12);
  // a symbol beside listed operations is not used: the operations are
  assert.is(
    parseCif(cif([...hm('F m -3 m'), 'loop_', '_symmetry_equiv_pos_as_xyz', 'x,y,z']), 'l.cif', quiet).sites.length,
    1,
  );
  // an empty trailing loop of operations counts as absent; the symbol then applies
  const trailing = ['data_t', ...CELL, ...hm('P -1'), ...ATOMS, 'loop_', '_symmetry_equiv_pos_as_xyz'].join('\n');
  assert.is(parseCif(trailing, 'e.cif', quiet).sites.length, 2);
});

test('warnings never reach stdout: the default sink is stderr', async () => {
  const { warnOnStderr } = await import('../../data/cifBlock.js');
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  const originalOut = process.stdout.write.bind(process.stdout);
  const out: string[] = [];
  process.stderr.write = ((s: string) => written.push(s) > 0) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  try {
    warnOnStderr('x.cif:3: something');
    parseCif(readFileSync(join(cifDir, 'dot-coordinate.cif'), 'utf8'), 'dot.cif');
  } finally {
    process.stderr.write = original;
    process.stdout.write = originalOut;
  }
  assert.equal(out, []);
  assert.is(written[0], 'warning: x.cif:3: something\n');
  assert.is(written.length, 5);
  assert.match(written[1], "warning: dot.cif:20: _atom_site_fract_x is '.'");
});

test.run();
