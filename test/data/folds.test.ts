import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PAPER_FOLD_SETS,
  foldSizes,
  foldsFromIds,
  groupKFold,
  kFoldContiguous,
  kFoldShuffled,
  paperFolds,
  readFoldsFile,
  trainIndices,
} from '../../data/folds.js';
import { validationFolds } from '../../train/validationSplit.js';
import { InputError } from '../../data/errors.js';
import { loadObelix, splitEntries } from '../../data/obelix.js';
import { obelixDir } from '../helpers/paths.js';

const ds = loadObelix(obelixDir);
const fixture = readFoldsFile(join(obelixDir, 'folds.json'));

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

test('fold sizes follow KFold / np.array_split: first n mod k blocks one larger', () => {
  assert.equal(foldSizes(478, 5), [96, 96, 96, 95, 95]);
  assert.equal(foldSizes(254, 5), [51, 51, 51, 51, 50]);
  assert.equal(foldSizes(10, 3), [4, 3, 3]);
  assert.equal(kFoldContiguous(7, 3), [
    [0, 1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.throws(() => foldSizes(4, 5), /2 ≤ k ≤ n/);
  assert.throws(() => foldSizes(10, 1), /2 ≤ k ≤ n/);
});

test('shuffled k-fold: disjoint, covering, reproducible for a seed, different across seeds', () => {
  const a = kFoldShuffled(101, 5, 7);
  assert.equal(
    a.map((f) => f.length),
    [21, 20, 20, 20, 20],
  );
  assert.equal(
    sorted(a.flat()),
    Array.from({ length: 101 }, (_, i) => i),
  );
  assert.equal(kFoldShuffled(101, 5, 7), a);
  assert.not.equal(kFoldShuffled(101, 5, 8), a);
  assert.equal(trainIndices(a[0], 101).length, 80);
  assert.ok(trainIndices(a[0], 101).every((i) => !a[0].includes(i)));
});

test('sklearn KFold(5, shuffle=True, random_state=0) on 10 rows (values from scikit-learn 1.2)', () => {
  // /usr/bin/python3 -c 'from sklearn.model_selection import KFold;
  //   print([sorted(t.tolist()) for _, t in KFold(5, shuffle=True, random_state=0).split(range(10))])'
  assert.equal(kFoldShuffled(10, 5, 0).map(sorted), [
    [2, 8],
    [4, 9],
    [1, 6],
    [3, 7],
    [0, 5],
  ]);
});

test('the five regenerated paper fold sets equal folds.json exactly (order included)', () => {
  for (const name of PAPER_FOLD_SETS) {
    const expected = fixture.get(name);
    assert.ok(expected, `folds.json lacks ${name}`);
    assert.equal(paperFolds(name, ds), expected, name);
  }
});

test('paper fold sets are disjoint and cover their training rows', () => {
  const all = splitEntries(ds, 'train').map((e) => e.id);
  const cif = splitEntries(ds, 'train', { cifOnly: true }).map((e) => e.id);
  for (const name of PAPER_FOLD_SETS) {
    const rows = name === 'rf_mlp_full_478' ? all : cif;
    const folds = foldsFromIds(paperFolds(name, ds), rows, name);
    assert.equal(
      folds.map((f) => f.length),
      foldSizes(rows.length, 5),
      name,
    );
    assert.equal(
      sorted(folds.flat()),
      Array.from({ length: rows.length }, (_, i) => i),
      name,
    );
  }
});

test('groupKFold by hand: largest group first, each to the lightest fold, groups never split', () => {
  //               0    1    2    3    4    5    6
  const groups = ['a', 'a', 'b', 'c', 'c', 'c', 'd'];
  for (const seed of [0, 1, 2, 3]) {
    const folds = groupKFold(groups, 2, seed);
    // c (3 rows) opens fold 0, a (2) goes to fold 1, the single rows b and d fill fold 1 then fold 0 (a tie goes to 0)
    assert.equal(
      folds.map((f) => f.length),
      [4, 3],
      `seed ${seed}`,
    );
    assert.ok(
      [3, 4, 5].every((i) => folds[0].includes(i)),
      `seed ${seed}: c in fold 0`,
    );
    assert.ok(
      [0, 1].every((i) => folds[1].includes(i)),
      `seed ${seed}: a in fold 1`,
    );
    assert.equal(sorted(folds.flat()), [0, 1, 2, 3, 4, 5, 6]);
  }
  const bInFold0 = [0, 1, 2, 3, 4, 5, 6, 7].map((seed) => groupKFold(groups, 2, seed)[0].includes(2));
  assert.ok(bInFold0.includes(true) && bInFold0.includes(false), 'the seed decides the ties between b and d');
  assert.throws(() => groupKFold(groups, 5, 0), /2 ≤ k ≤ the number of groups, got k = 5 for 4 groups/);
});

test('doi_kfold on OBELiX: each publication in one fold, the 254 training CIFs covered, reproducible by seed', () => {
  const entries = splitEntries(ds, 'train', { cifOnly: true });
  const doiOf = new Map(entries.map((e) => [e.id, e.doi]));
  const folds = validationFolds(ds, { folds: 'doi_kfold', k: 5, seed: 42, fold: 0 });
  assert.is(folds.length, 5);
  assert.equal(folds.flat().sort(), entries.map((e) => e.id).sort());
  const foldOfDoi = new Map<string, number>();
  folds.forEach((fold, f) =>
    fold.forEach((id) => {
      const doi = doiOf.get(id)!;
      assert.is(foldOfDoi.get(doi) ?? f, f, `${doi} split between folds`);
      foldOfDoi.set(doi, f);
    }),
  );
  assert.is(foldOfDoi.size, 127);
  const sizes = folds.map((f) => f.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 2, `balanced: ${sizes.join(' ')}`);
  assert.equal(validationFolds(ds, { folds: 'doi_kfold', k: 5, seed: 42, fold: 0 }), folds);
  assert.not.equal(validationFolds(ds, { folds: 'doi_kfold', k: 5, seed: 43, fold: 0 }), folds);
  try {
    validationFolds(ds, { folds: 'doi_kfold', k: 128, seed: 42, fold: 0 });
    assert.unreachable('k above the number of publications');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, /^data\.validation\.k = 128: .*got k = 128 for 127 groups/);
  }
});

test('the OBELiX test split keeps publications apart: no test entry shares a DOI with a training entry', () => {
  const trainDois = new Set(splitEntries(ds, 'train').map((e) => e.doi));
  const test = splitEntries(ds, 'test');
  assert.is(test.length, 121);
  assert.equal(
    test.filter((e) => trainDois.has(e.doi)).map((e) => e.id),
    [],
  );
  assert.is(
    new Set(test.filter((e) => e.hasCif).map((e) => e.doi)).size,
    33,
    'the 67 test CIFs come from 33 publications',
  );
});

test('foldsFromIds rejects unknown, duplicated and missing IDs with the ID named', () => {
  const rows = ['a', 'b', 'c', 'd'];
  assert.equal(
    foldsFromIds(
      [
        ['c', 'a'],
        ['b', 'd'],
      ],
      rows,
    ),
    [
      [2, 0],
      [1, 3],
    ],
  );
  assert.throws(
    () =>
      foldsFromIds(
        [
          ['a', 'x'],
          ['b', 'c', 'd'],
        ],
        rows,
      ),
    (e: Error) => e instanceof InputError && /'x'/.test(e.message),
  );
  assert.throws(
    () =>
      foldsFromIds(
        [
          ['a', 'b'],
          ['b', 'c', 'd'],
        ],
        rows,
      ),
    /'b' is in fold 0 and fold 1/,
  );
  assert.throws(() => foldsFromIds([['a'], ['b', 'c']], rows), /1 rows are in no fold \(first: 'd'\)/);
});

test('readFoldsFile: skips non-fold keys, rejects malformed fold lists naming the key', () => {
  assert.equal([...fixture.keys()].sort(), [...PAPER_FOLD_SETS].sort());
  const dir = mkdtempSync(join(tmpdir(), 'folds-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ _about: 'x', mine: { folds: [['a'], [3]] } }));
  assert.throws(() => readFoldsFile(bad), /'mine\.folds'/);
  writeFileSync(bad, '{ not json');
  assert.throws(() => readFoldsFile(bad), /not valid JSON/);
  assert.throws(() => readFoldsFile(join(dir, 'none.json')), /missing folds file/);
});

test.run();
