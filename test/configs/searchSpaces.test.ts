/**
 * The paper's search spaces (configs/search/*.yaml, docs/protocol.md §4.1–4.3): each space is upstream's (keys in
 * upstream's product order, sizes 162 / 16,384 / 5,120 / 4,800), the settings outside it are those of the paper's
 * best config, 100 draws are distinct and inside the space, and every drawn set validates and builds a model that runs.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collate, disposeBatch } from '../../graph/batch.js';
import { initBackend } from '../../train/backend.js';
import { loadConfig, withValues, type RunConfig } from '../../train/config.js';
import { buildModel } from '../../models/build.js';
import { buildNeighbors, toSample } from '../../graph/featurize.js';
import { decodeIndex, drawTrials, spaceSize, type SearchSpace, type TrialParams } from '../../train/search.js';
import { fixturesDir, obelixDir, requireShared } from '../helpers/paths.js';
import { smallCrystal } from '../helpers/symmetry.js';

test.before(async () => {
  await initBackend('cpu');
});

const widths = [32, 64, 128, 256];
const cutoffs = [3, 4, 5, 6];
const oneToFive = [1, 2, 3, 4, 5];
const schnetpackSpace = {
  'graph.cutoff': [2, 5, 10],
  'model.n_atom_basis': [10, 20, 80],
  'model.n_interactions': [3, 2, 4],
  'training.batch_size': [32, 64],
  'training.weight_decay': [0, 0.01, 0.0001],
};

interface Expected {
  space: SearchSpace;
  size: number;
  seed: number;
  sampler: 'numpy' | 'python';
  folds: string;
  /** Key paths where the search config deliberately differs from configs/<model>.yaml (documented in its header). */
  differs: string[];
}

/** Written out from docs/protocol.md §4.1–4.3 and upstream's config files, not read from the YAML under test. */
const EXPECTED: Record<string, Expected> = {
  schnet: {
    space: schnetpackSpace,
    size: 162,
    seed: 10,
    sampler: 'numpy',
    folds: 'schnetpack_painn_schnet_seed10_254',
    differs: [],
  },
  painn: {
    space: schnetpackSpace,
    size: 162,
    seed: 10,
    sampler: 'numpy',
    folds: 'schnetpack_painn_schnet_seed10_254',
    differs: [],
  },
  cgcnn: {
    space: {
      'model.atom_fea_len': widths,
      'model.h_fea_len': widths,
      'model.n_conv': [1, 2, 3, 4],
      'model.n_h': [1, 2, 3, 4],
      'training.lr': [1e-2, 1e-3, 5e-4, 1e-4],
      'training.batch_size': [35, 50, 70, 100],
      'training.epochs': [35, 50, 70, 100],
    },
    size: 16_384,
    seed: 42,
    sampler: 'numpy',
    folds: 'matgl_m3gnet_so3net_254',
    differs: [],
  },
  m3gnet: {
    space: {
      'model.nblocks': oneToFive,
      'model.dim_node_embedding': widths,
      'model.dim_edge_embedding': widths,
      'model.units': widths,
      'model.threebody_cutoff': cutoffs,
      'model.cutoff': cutoffs,
      'training.batch_size': [35],
      'training.lr': [1e-3],
      'training.epochs': [50],
    },
    size: 5_120,
    seed: 42,
    sampler: 'python',
    folds: 'matgl_m3gnet_so3net_254',
    differs: ['training.max_edges_per_batch'],
  },
  so3net: {
    space: {
      'model.readout_type': ['set2set'],
      'model.nmax': [1, 2, 3],
      'model.lmax': [1],
      'model.nblocks': oneToFive,
      'model.dim_node_embedding': widths,
      'model.units': widths,
      'model.cutoff': cutoffs,
      'model.nlayers_readout': oneToFive,
      'training.batch_size': [35],
      'training.lr': [1e-3],
      'training.epochs': [50],
    },
    // epochs: the search space has 50, the paper's final set 80; nlayers_readout is dead (unset in the paper config)
    size: 4_800,
    seed: 42,
    sampler: 'python',
    folds: 'matgl_m3gnet_so3net_254',
    differs: ['training.epochs', 'training.max_edges_per_batch', 'model.nlayers_readout'],
  },
};

const searchConfig = (model: string): RunConfig => loadConfig(`configs/search/${model}.yaml`);

function getPath(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function dropPath(obj: Record<string, unknown>, dotted: string): void {
  const keys = dotted.split('.');
  const parent = getPath(obj, keys.slice(0, -1).join('.')) as Record<string, unknown> | undefined;
  if (parent) delete parent[keys[keys.length - 1]];
}

/** The config minus its name, search section and the documented differences. */
function comparable(c: RunConfig, differs: string[]): Record<string, unknown> {
  const raw = structuredClone(c) as unknown as Record<string, unknown>;
  delete raw.name;
  delete raw.search;
  for (const k of differs) dropPath(raw, k);
  return raw;
}

/** Builds the model of one drawn set, runs it on a 4-atom crystal (graph as in training); returns its parameter count. */
async function buildAndRun(config: RunConfig, params: TrialParams, where: string): Promise<number> {
  const trial = withValues(config, params, where);
  for (const [k, v] of Object.entries(params))
    assert.equal(getPath(trial, k), v, `${where}: ${k} kept after validation`);
  const model = buildModel(trial);
  try {
    const atoms = smallCrystal();
    const batch = collate([toSample(atoms, buildNeighbors(atoms, trial.spec), 0, trial.spec.threebody_cutoff)]);
    try {
      const y = tf.tidy(() => model.forward(batch, false));
      const out = await y.data();
      y.dispose();
      assert.is(out.length, 1, where);
      assert.ok(Number.isFinite(out[0]), `${where}: finite prediction`);
    } finally {
      disposeBatch(batch);
    }
    return model.countParameters();
  } finally {
    model.dispose();
  }
}

for (const [model, exp] of Object.entries(EXPECTED)) {
  test(`${model}: the paper's space (${exp.size} sets, upstream key order), 100 trials, the paper-best settings outside it`, () => {
    const c = searchConfig(model);
    const s = c.search!;
    assert.equal(s.space, exp.space);
    assert.equal(Object.keys(s.space), Object.keys(exp.space), 'key order = mixed-radix digit order');
    assert.is(spaceSize(s.space), exp.size);
    assert.is(s.trials, 100);
    assert.is(s.seed, exp.seed);
    assert.is(s.sampler, exp.sampler);
    assert.is(c.model.name, model);
    assert.is(c.data.validation?.folds, exp.folds);
    assert.equal(comparable(c, exp.differs), comparable(loadConfig(`configs/${model}.yaml`), exp.differs));
  });

  test(`${model}: 100 distinct draws inside the space; the first five and both corner sets build and run`, async () => {
    const c = searchConfig(model);
    const space = c.search!.space;
    const draw = drawTrials(space, c.search!.trials, c.search!.seed, c.search!.sampler);
    assert.is(draw.length, 100);
    assert.is(new Set(draw.map((d) => JSON.stringify(d))).size, 100);
    for (const d of draw) {
      assert.equal(Object.keys(d), Object.keys(space));
      for (const [k, v] of Object.entries(d))
        assert.ok(space[k].includes(v as never), `${k} = ${String(v)} is in the space`);
    }
    for (const [i, d] of draw.slice(0, 5).entries()) assert.ok((await buildAndRun(c, d, `${model} trial ${i}`)) > 0);
    // index 0 takes every key's first value, the last index every key's last value
    const first = await buildAndRun(c, decodeIndex(space, 0), `${model} first corner`);
    const last = await buildAndRun(c, decodeIndex(space, spaceSize(space) - 1), `${model} last corner`);
    assert.ok(first > 0 && last > 0);
  });
}

test("painn: the draw is folds.json's schnetpack_sampled_configs; trial 19 is the paper's best PaiNN (configs/painn.yaml)", () => {
  const c = searchConfig('painn');
  const draw = drawTrials(c.search!.space, 100, c.search!.seed);
  const folds = JSON.parse(readFileSync(requireShared(join(obelixDir, 'folds.json')), 'utf8')) as {
    schnetpack_sampled_configs: { configs: Array<Record<string, number>> };
  };
  const paper = folds.schnetpack_sampled_configs.configs;
  assert.is(paper.length, 100);
  draw.forEach((d, i) => {
    const p = paper[i];
    assert.equal(
      Object.values(d),
      [p.cutoff, p.n_atom_basis, p.n_interactions, p.batch_size, p.weight_decay],
      `config_id ${i}`,
    );
  });
  const best = loadConfig('configs/painn.yaml');
  assert.equal(draw[19], {
    'graph.cutoff': best.graph.cutoff,
    'model.n_atom_basis': best.model.n_atom_basis,
    'model.n_interactions': best.model.n_interactions,
    'training.batch_size': best.training.batch_size,
    'training.weight_decay': best.training.weight_decay,
  });
  assert.equal(Object.values(draw[19]), [5, 80, 2, 32, 1e-4]);
});

interface UpstreamDraw {
  keys: string[];
  size: number;
  sets: unknown[][];
}

/**
 * scripts/reference/python_random.py runs upstream's random.seed(42); random.sample(list(itertools.product(...)), 100)
 * with upstream's keys; the two leading singletons we do not carry (our models have no such option) do not move the index.
 */
const UPSTREAM_SINGLETONS: Record<string, Record<string, unknown>> = {
  m3gnet: { is_intensive: true, readout_type: 'set2set' },
  so3net: { is_intensive: true, target_property: 'graph' },
};

for (const [model, singletons] of Object.entries(UPSTREAM_SINGLETONS)) {
  test(`${model}: the draw equals upstream's random.sample of itertools.product after random.seed(42), all 100 sets in order`, () => {
    const upstream = (
      JSON.parse(readFileSync(join(fixturesDir, 'python-random.json'), 'utf8')) as {
        upstream_draws: Record<string, UpstreamDraw>;
      }
    ).upstream_draws[model];
    const dropped = Object.keys(singletons);
    assert.equal(upstream.keys.slice(0, dropped.length), dropped);
    const c = searchConfig(model);
    const space = c.search!.space;
    assert.is(upstream.size, spaceSize(space));
    // our keys are upstream's minus the dropped singletons (max_epochs ↔ training.epochs), in the same order
    assert.equal(
      Object.keys(space).map((k) => k.split('.')[1]),
      upstream.keys.slice(dropped.length).map((k) => (k === 'max_epochs' ? 'epochs' : k)),
    );
    const draw = drawTrials(space, c.search!.trials, c.search!.seed, c.search!.sampler);
    assert.is(upstream.sets.length, 100);
    draw.forEach((d, i) => {
      assert.equal(upstream.sets[i].slice(0, dropped.length), Object.values(singletons), `set ${i}: singletons`);
      assert.equal(Object.values(d), upstream.sets[i].slice(dropped.length), `set ${i}`);
    });
    // the numpy rule (the default sampler) would draw another list from the same space and seed
    assert.not.equal(drawTrials(space, 100, 42, 'numpy'), draw);
  });
}

test('m3gnet, so3net: the first upstream set is as CPython draws it (hand-copied from the fixture script output)', () => {
  const m = searchConfig('m3gnet');
  assert.equal(drawTrials(m.search!.space, 100, 42, 'python')[0], {
    'model.nblocks': 1,
    'model.dim_node_embedding': 256,
    'model.dim_edge_embedding': 128,
    'model.units': 64,
    'model.threebody_cutoff': 3,
    'model.cutoff': 3,
    'training.batch_size': 35,
    'training.lr': 1e-3,
    'training.epochs': 50,
  });
  const s = searchConfig('so3net');
  assert.equal(drawTrials(s.search!.space, 100, 42, 'python')[0], {
    'model.readout_type': 'set2set',
    'model.nmax': 1,
    'model.lmax': 1,
    'model.nblocks': 3,
    'model.dim_node_embedding': 256,
    'model.units': 64,
    'model.cutoff': 5,
    'model.nlayers_readout': 3,
    'training.batch_size': 35,
    'training.lr': 1e-3,
    'training.epochs': 50,
  });
});

test('cgcnn: parameter counts of the corner sets follow the upstream layout (sum of numel)', () => {
  const c = searchConfig('cgcnn');
  const space = c.search!.space;
  // Linear(92→F); per conv Linear(2F+41→2F) + BatchNorm(2F) + BatchNorm(F); Linear(F→H); (n_h−1)·Linear(H→H); Linear(H→1)
  const expected = (F: number, H: number, nConv: number, nH: number): number =>
    93 * F + nConv * ((2 * F + 41) * 2 * F + 2 * F + 4 * F + 2 * F) + (F * H + H) + (nH - 1) * (H * H + H) + H + 1;
  for (const [index, dims] of [
    [0, [32, 32, 1, 1]],
    [spaceSize(space) - 1, [256, 256, 4, 4]],
  ] as const) {
    const trial = withValues(c, decodeIndex(space, index), `cgcnn set ${index}`);
    const m = buildModel(trial);
    assert.is(m.countParameters(), expected(dims[0], dims[1], dims[2], dims[3]), `set ${index}`);
    m.dispose();
  }
});

test.run();
