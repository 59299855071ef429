import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../data/errors.js';
import { registerModel } from '../../models/registry.js';
import { applyOverride, loadConfig, validateConfig } from '../../train/config.js';
import { microBatchEdges } from '../../train/deviceLimits.js';

registerModel({
  name: 'toy',
  description: 'test model',
  schema: z.object({ name: z.literal('toy'), width: z.number().int().positive().default(8) }).strict(),
  build: () => null,
});

function write(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'run.yaml');
  writeFileSync(path, text);
  return path;
}

const fails = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (e: Error) => e instanceof InputError && pattern.test(e.message));
};

test('defaults fill in and model options are validated by the model schema', () => {
  const c = validateConfig({ model: { name: 'toy' } }, 'x.yaml');
  assert.is(c.graph.cutoff, 5);
  assert.is(c.training.optimizer, 'adamw');
  assert.is(c.model.width, 8);
  assert.is(c.data.validation?.folds, 'schnetpack_painn_schnet_seed10_254');
});

test('unknown keys are named with their path', () => {
  fails(
    () => validateConfig({ model: { name: 'toy' }, training: { lrr: 1 } }, 'x.yaml'),
    /x\.yaml: .*unknown key 'training\.lrr'/,
  );
  fails(() => validateConfig({ model: { name: 'toy', depth: 3 } }, 'x.yaml'), /unknown key 'model\.depth'/);
  fails(() => validateConfig({ model: { name: 'toy' }, bogus: 1 }, 'x.yaml'), /unknown key 'bogus'/);
});

test('wrong types and out-of-range values say what was expected', () => {
  fails(
    () => validateConfig({ model: { name: 'toy' }, training: { lr: 'fast' } }, 'x.yaml'),
    /training\.lr: .*expected number/,
  );
  fails(() => validateConfig({ model: { name: 'toy' }, graph: { cutoff: -1 } }, 'x.yaml'), /graph\.cutoff: .*>0/);
  fails(() => validateConfig({ model: { name: 'toy', width: 2.5 } }, 'x.yaml'), /model\.width: .*int/);
  fails(
    () => validateConfig({ model: { name: 'toy' }, training: { optimizer: 'sgd' } }, 'x.yaml'),
    /training\.optimizer/,
  );
  fails(() => validateConfig({ model: { name: 'nope' } }, 'x.yaml'), /unknown model 'nope' \(valid: .*toy/);
});

test('data.graph_features with a model whose head cannot read them names the key and the models that can', () => {
  fails(
    () => validateConfig({ model: { name: 'toy' }, data: { dataset: 'obelix', graph_features: ['z'] } }, 'x.yaml'),
    /x\.yaml: data\.graph_features: model 'toy' has no input for graph-level features \(supported: schnet, painn, cgcnn, m3gnet, so3net\)/,
  );
});

test('--set overrides nested keys with YAML-typed values', () => {
  const raw: Record<string, unknown> = { model: { name: 'toy' } };
  applyOverride(raw, 'training.lr=3e-4');
  applyOverride(raw, 'model.width=16');
  applyOverride(raw, 'data.validation=null');
  const c = validateConfig(raw, 'x');
  assert.is(c.training.lr, 3e-4);
  assert.is(c.model.width, 16);
  assert.is(c.data.validation, null);
  fails(() => applyOverride(raw, 'training.lr'), /expected key\.path=value/);
  fails(() => applyOverride(raw, 'training.lr.x=1'), /'lr' is not a section/);
});

test('config files: missing file, bad YAML, and overrides on top of a file', () => {
  fails(() => loadConfig('/no/such/config.yaml'), /config file not found: \/no\/such\/config\.yaml/);
  fails(() => loadConfig(write('model: [unclosed')), /not valid YAML/);
  const c = loadConfig(write('model:\n  name: toy\ntraining:\n  epochs: 3\n'), ['training.epochs=7']);
  assert.is(c.training.epochs, 7);
});

test('the shipped SchNet config is the paper best', async () => {
  const c = loadConfig('configs/schnet.yaml');
  assert.equal(
    [
      c.graph.cutoff,
      c.model.n_atom_basis,
      c.model.n_interactions,
      c.training.batch_size,
      c.training.lr,
      c.training.weight_decay,
      c.training.optimizer,
    ],
    [5, 80, 3, 32, 1e-3, 0.01, 'adamw'],
  );
});

test('training.max_edges_per_batch: one number for every backend, or a cap per named backend', () => {
  const cap = (value: unknown) =>
    validateConfig({ model: { name: 'toy' }, training: { max_edges_per_batch: value } }, 'x.yaml').training
      .max_edges_per_batch;
  assert.is(cap(8000), 8000);
  assert.equal(cap({ wasm: 8000, cpu: 6000 }), { wasm: 8000, cpu: 6000 });
  assert.equal(microBatchEdges(8000, null, 'webgpu'), 8000);
  assert.equal(microBatchEdges({ wasm: 8000, cpu: 6000 }, null, 'cpu'), 6000);
  assert.equal(microBatchEdges({ wasm: 8000 }, null, 'webgpu'), Infinity);
  const device = { maxEdges: 5000, bytesPerEdge: 1, bindingLimit: 1 };
  assert.equal(microBatchEdges({ wasm: 8000 }, device, 'webgpu'), 5000);
  assert.equal(microBatchEdges(4000, device, 'webgpu'), 4000);
  fails(() => cap({ gpu: 100 }), /training\.max_edges_per_batch/);
  fails(() => cap({ wasm: 0 }), /training\.max_edges_per_batch\.wasm/);
  fails(() => cap(2.5), /training\.max_edges_per_batch/);
});

test.run();
