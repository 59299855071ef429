import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collate, disposeBatch, type GraphSample } from '../../../graph/batch.js';
import { ElementTable } from '../../../models/layers/elementTable.js';
import { throwsInputError } from '../../helpers/inputError.js';

const sample = (id: string, numbers: number[], mix?: { node: number[]; z: number[]; w: number[] }): GraphSample => ({
  id,
  numbers: new Int32Array(numbers),
  target: 0,
  src: new Int32Array(0),
  dst: new Int32Array(0),
  vectors: new Float32Array(0),
  distances: new Float32Array(0),
  ...(mix
    ? {
        occupancy: new Float32Array(numbers.length).fill(1),
        mixNode: new Int32Array(mix.node),
        mixNumbers: new Int32Array(mix.z),
        mixWeights: new Float32Array(mix.w),
      }
    : {}),
});

test('rows: positions in element_types for atoms and mixture entries; errors name crystal, element and site', async () => {
  const table = ElementTable.fromSymbols(['O', 'Li', 'Na'], 'model.element_types');
  const batch = collate([
    sample('a', [3, 8]),
    sample('b', [8, 3, 3], { node: [0, 1, 1, 2], z: [8, 3, 11, 3], w: [1, 0.5, 0.5, 1] }),
  ]);
  const rows = table.rows(batch);
  assert.equal(Array.from(await rows.atoms.data()), [1, 0, 0, 1, 1]);
  assert.equal(Array.from(await rows.mixture!.data()), [1, 0, 0, 1, 2, 1]); // ordered crystal a: its own species at weight 1
  tf.dispose([rows.atoms, rows.mixture!]);
  disposeBatch(batch);
  const withS = collate([sample('a', [3]), sample('c', [8, 16])]);
  throwsInputError(() => table.rows(withS), 'c: element S is not in model.element_types (3 elements)', 'Z=16');
  throwsInputError(
    () => ElementTable.byAtomicNumber([0, 1, 1, 1], 'the atom feature table', true).rows(withS),
    'c: element O (site 0)',
  );
  disposeBatch(withS);
});

test('check: a species that occurs only in a mixture is refused before any batch is built', () => {
  const table = ElementTable.fromSymbols(['Li', 'O'], "the pretrained model's element table");
  table.check([sample('ok', [3, 8])]);
  const mixed = sample('m1', [3, 8], { node: [0, 0, 1], z: [3, 11, 8], w: [0.5, 0.5, 1] });
  throwsInputError(
    () => table.check([mixed], { prefix: 'init: ' }),
    'init: element Na (in a species mixture) (structure m1)',
  );
});

test.run();
