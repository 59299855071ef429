/** Checkpoints carry the model version of their class; an older one is converted or refused, a newer one refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { latticeFromParameters, fracToCart } from '../../data/lattice.js';
import type { Atoms } from '../../data/structure.js';
import { buildNeighbors, toSample } from '../../graph/featurize.js';
import type { StateTensor } from '../../models/model.js';
import { atCurrentVersion, modelEntry, type ModelEntry } from '../../models/registry.js';
import { MODEL_VERSION_KEY, readRun, RunDirectory } from '../../train/checkpoint.js';
import { trainOnSamples } from '../../train/run.js';
import { readSafetensorsFile } from '../../train/safetensors.js';
import { throwsInputError } from '../helpers/inputError.js';
import { tinyConfig } from '../helpers/training.js';

const config = tinyConfig(
  { name: 'schnet', n_atom_basis: 4, n_interactions: 1, n_rbf: 4 },
  { batch_size: 2, epochs: 1 },
);

async function trainedRun(): Promise<string> {
  await tf.setBackend('cpu');
  const lattice = latticeFromParameters(3.6, 3.7, 3.8, 90, 90, 90);
  const frac = Float64Array.from([0, 0, 0, 0.5, 0.5, 0.5]);
  const atoms: Atoms = { id: 'c', lattice, numbers: Int32Array.from([3, 8]), frac, cart: fracToCart(lattice, frac) };
  const sample = toSample(atoms, buildNeighbors(atoms, { cutoff: 3.5 }), 1);
  const out = mkdtempSync(join(tmpdir(), 'version-'));
  await trainOnSamples(config, [sample, { ...sample, target: 2 }], [], { out, log: () => {}, backend: 'cpu' });
  return out;
}

test('a run records its model version; runs without one (written before versions) are version 1', async () => {
  const dir = await trainedRun();
  const { tensors, metadata } = readSafetensorsFile(join(dir, 'weights.safetensors'));
  assert.is(metadata[MODEL_VERSION_KEY], '1');
  assert.is(readRun(dir).weights.size, tensors.size);
  const run = new RunDirectory(dir);
  run.writeWeights(readRun(dir).weights, { model: 'schnet', epoch: '1' });
  assert.is(readRun(dir).weights.size, tensors.size);
  run.writeWeights(readRun(dir).weights, { model: 'schnet', [MODEL_VERSION_KEY]: '2' });
  throwsInputError(
    () => readRun(dir),
    join(dir, 'weights.safetensors'),
    "'schnet' weights of model version 2",
    'version 1 at most',
  );
  run.writeWeights(new Map(), { [MODEL_VERSION_KEY]: 'two' });
  throwsInputError(() => readRun(dir), "model_version = 'two'");
});

test('an older version is converted by the entry when it can, refused with a clear message when it cannot', () => {
  const weights = new Map<string, StateTensor>([['w', { shape: [1], data: Float32Array.from([2]) }]]);
  const schnet = modelEntry('schnet')!;
  assert.is(atCurrentVersion(schnet, 1, weights, 'w.safetensors'), weights);
  const v3: ModelEntry = { ...schnet, version: 3 };
  throwsInputError(
    () => atCurrentVersion(v3, 2, weights, 'w.safetensors'),
    'w.safetensors',
    'model version 2 cannot be used by version 3',
    'retrain',
  );
  const upgraded = atCurrentVersion(
    { ...v3, upgrade: (w, from) => new Map([...w].map(([k, t]) => [k, { ...t, data: t.data.map((x) => x * from) }])) },
    2,
    weights,
    'w',
  );
  assert.equal([...upgraded.get('w')!.data], [4]);
});

test.run();
