// The space-group table (data/spaceGroups.ts, moyo's Hall database) against pymatgen 2022.11.7: the orbit
// of a generic point (its size and every position, as a SHA-1 of the sorted wrapped images) for all 230
// numbers, all 530 Hall settings and every symbol of pymatgen's setting table (symm_ops.json), from
// scripts/reference/cifSymmetry.py (test/fixtures/cif-symmetry-ref.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CellParameters,
  HALL_SETTINGS,
  hallEntries,
  operationsOfHall,
  settingFromHall,
  settingFromHermannMauguin,
  settingFromNumber,
} from '../../data/spaceGroups.js';
import { applySymOp, type SymOp } from '../../data/symmetryOps.js';
import { fixturesDir } from '../helpers/paths.js';

interface Orbit {
  size: number;
  sha1: string;
}
interface SettingRef extends Orbit {
  number: number;
  hall: string;
  universal_h_m: string;
  hermann_mauguin: string;
}
const ref = JSON.parse(readFileSync(join(fixturesDir, 'cif-symmetry-ref.json'), 'utf8')) as {
  generic: [number, number, number];
  numbers: Record<string, Orbit>;
  settings: SettingRef[];
  cifparser: { symbol: string; number: number; orbit: Orbit | null }[];
};

/** The script's orbit: images of the generic point wrapped into [0, 1), '%.4f' each, sorted, hashed. */
function orbit(ops: SymOp[]): Orbit {
  const [x, y, z] = ref.generic;
  const out = new Float64Array(3);
  const images = new Set<string>();
  for (const op of ops) {
    applySymOp(op, x, y, z, out, 0);
    images.add(
      Array.from(out, (v) => {
        const w = v - Math.floor(v);
        return (w >= 1 ? 0 : w).toFixed(4);
      }).join(','),
    );
  }
  const sorted = [...images].sort();
  return { size: sorted.length, sha1: createHash('sha1').update(sorted.join(';')).digest('hex').slice(0, 16) };
}

const ORTHOGONAL: CellParameters = { a: 5, b: 6, c: 7, alpha: 90, beta: 90, gamma: 90 };
const HEXAGONAL: CellParameters = { a: 4, b: 4, c: 7, alpha: 90, beta: 90, gamma: 120 };
const RHOMBOHEDRAL: CellParameters = { a: 6, b: 6, c: 6, alpha: 50, beta: 50, gamma: 50 };
const cellFor = (number: number, symbol = ''): CellParameters =>
  symbol.includes(':R') ? RHOMBOHEDRAL : number >= 143 && number <= 194 ? HEXAGONAL : ORTHOGONAL;

test('all 230 numbers: the generic orbit (size and positions) equals pymatgen SpaceGroup.from_int_number', () => {
  let sites = 0;
  for (let n = 1; n <= 230; n++) {
    const setting = settingFromNumber(n, cellFor(n));
    assert.ok(setting, `No. ${n} resolves`);
    assert.is(setting.entry.number, n);
    const got = orbit(operationsOfHall(setting.hall));
    assert.equal(got, ref.numbers[n], `No. ${n} (${setting.entry.hall_symbol})`);
    sites += got.size;
  }
  assert.is(sites, 4_425); // Σ of the general-position multiplicities (conventional cells), as in the fixture
});

test('all 530 Hall settings equal a pymatgen setting of the same group; 527 of them under the same Hall symbol', () => {
  assert.is(hallEntries().length, HALL_SETTINGS);
  let sameSymbol = 0;
  for (const e of hallEntries()) {
    const got = orbit(operationsOfHall(e.hall_number));
    const named = ref.settings.filter((s) => settingFromHall(s.hall)?.hall === e.hall_number);
    for (const s of named)
      assert.equal(
        got,
        { size: s.size, sha1: s.sha1 },
        `Hall ${e.hall_number} '${e.hall_symbol}' vs pymatgen '${s.hall}'`,
      );
    if (named.length > 0) sameSymbol++;
    else
      assert.ok(
        ref.settings.some((s) => s.number === e.number && s.sha1 === got.sha1),
        `Hall ${e.hall_number} '${e.hall_symbol}' has no pymatgen twin`,
      );
  }
  // the other 3 (324, 328, 332) repeat the Hall symbol of 322, 326, 330 under other axis labels
  assert.is(sameSymbol, 527);
});

test("every symbol of pymatgen's table resolves to its setting or is refused, never to another", () => {
  let resolved = 0;
  const refusedPlain: string[] = [];
  for (const s of ref.settings) {
    const hm = settingFromHermannMauguin(s.universal_h_m, cellFor(s.number, s.universal_h_m));
    if (hm) {
      assert.equal(
        orbit(operationsOfHall(hm.hall)),
        { size: s.size, sha1: s.sha1 },
        `'${s.universal_h_m}' → Hall '${hm.entry.hall_symbol}'`,
      );
      resolved++;
    } else if (!s.universal_h_m.includes('(')) {
      refusedPlain.push(s.universal_h_m); // symbols with a basis change '(a+b,...)' are refused by design
    }
    const hall = settingFromHall(s.hall);
    if (hall) assert.equal(orbit(operationsOfHall(hall.hall)), { size: s.size, sha1: s.sha1 }, `Hall '${s.hall}'`);
  }
  assert.is(ref.settings.length, 752);
  assert.is(resolved, 515);
  // pre-2002 symbols of the e-glide groups and centred triclinic / non-standard monoclinic cells
  assert.equal(refusedPlain, [
    'C 2 e b',
    'C m m a',
    'C m m b',
    'A b m m',
    'A c m m',
    'B m c m',
    'B m a m',
    'C c c a :2',
    'C c c b :2',
    'A b a a :2',
    'A c a a :2',
    'B b a b :2',
    'C 1',
    'A -1',
    'B -1',
    'I -1',
    'R 1 2/c 1',
    'B 1 21 1',
    'C -1',
    'B 1 21/m 1',
  ]);
});

test("symbol-only CIFs: where pymatgen's CifParser resolves a symbol, the reader gives the same orbit", () => {
  let same = 0;
  const refused: string[] = [];
  for (const { symbol, number, orbit: want } of ref.cifparser) {
    if (want === null) continue; // pymatgen falls back to P1 (':1', ':2', ':H', ':R' symbols among them)
    const setting = settingFromHermannMauguin(symbol, cellFor(number, symbol));
    if (setting === null) {
      refused.push(symbol);
      continue;
    }
    assert.equal(orbit(operationsOfHall(setting.hall)), want, `'${symbol}' → Hall '${setting.entry.hall_symbol}'`);
    same++;
  }
  assert.is(ref.cifparser.length, 578);
  assert.is(same, 481); // bare origin-choice symbols ('P n n n', 'F d -3 m') included: both take origin choice 1
  // refused where pymatgen reads them: pre-2002 e-glide symbols (67, 68 and 41 have two settings behind one
  // old symbol family) and centred triclinic / non-standard monoclinic cells that moyo's table lacks
  assert.equal(refused, [
    'A -1',
    'A b a a',
    'A b m m',
    'A c a a',
    'A c m m',
    'B -1',
    'B 1 21 1',
    'B 1 21/m 1',
    'B b a b',
    'B m a m',
    'B m c m',
    'C -1',
    'C 1',
    'C 2 e b',
    'C c c a',
    'C c c b',
    'C m m a',
    'C m m b',
    'I -1',
  ]);
});

test('Hall symbols are unique keys; each Hermann-Mauguin key names settings of one group only', () => {
  for (const e of hallEntries()) {
    const back = settingFromHall(e.hall_symbol);
    assert.ok(back, e.hall_symbol);
    assert.equal(
      operationsOfHall(back.hall).map(String).sort(),
      operationsOfHall(e.hall_number).map(String).sort(),
      e.hall_symbol,
    );
    for (const symbol of [e.hm_full, e.hm_short]) {
      const hm = settingFromHermannMauguin(symbol, cellFor(e.number, e.setting === 'R' ? ':R' : ''));
      if (hm) assert.is(hm.entry.number, e.number, `'${symbol}'`);
    }
  }
});

test.run();
