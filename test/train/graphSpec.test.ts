/**
 * The graph spec derived by validateConfig, and the cross-section rules. Each refused case is a config that passed
 * validation before the spec existed (and failed later, or silently computed something else).
 * This file imports train/config.ts only: the registry must know every model without a side-effect import.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { configToYaml, loadConfig, validateConfig } from '../../train/config.js';
import { throwsInputError } from '../helpers/inputError.js';

const ELEMENTS = ['Li', 'O', 'P', 'S'];

test('the registry lists its models without a side-effect import', () => {
  assert.is(validateConfig({ model: { name: 'schnet' } }, 'c.yaml').model.name, 'schnet');
  throwsInputError(
    () => validateConfig({ model: { name: 'nope' } }, 'c.yaml'),
    "unknown model 'nope' (valid: cgcnn, m3gnet, painn, schnet, so3net)",
  );
});

test('CGCNN: the k-NN graph follows model.max_num_nbr; an equal graph.max_neighbors is accepted, another is refused', () => {
  const derived = validateConfig({ graph: { cutoff: 8 }, model: { name: 'cgcnn', max_num_nbr: 8 } }, 'c.yaml').spec;
  assert.equal([derived.cutoff, derived.max_neighbors, derived.threebody_cutoff], [8, 8, undefined]);
  const redundant = validateConfig(
    { graph: { cutoff: 8, max_neighbors: 12 }, model: { name: 'cgcnn', max_num_nbr: 12 } },
    'c.yaml',
  );
  assert.is(redundant.spec.max_neighbors, 12);
  const e = throwsInputError(
    () =>
      validateConfig({ graph: { cutoff: 8, max_neighbors: 12 }, model: { name: 'cgcnn', max_num_nbr: 8 } }, 'c.yaml'),
    'c.yaml: ',
    'graph.max_neighbors = 12',
    'model.max_num_nbr = 8',
  );
  assert.not.ok(e.message.includes('\n'));
});

test('M3GNet: without graph.threebody_cutoff the line graph follows model.threebody_cutoff', () => {
  const spec = validateConfig(
    { graph: { cutoff: 5 }, model: { name: 'm3gnet', element_types: ELEMENTS } },
    'c.yaml',
  ).spec;
  assert.equal([spec.cutoff, spec.threebody_cutoff], [5, 4]);
  assert.is(validateConfig({ model: { name: 'm3gnet', threebody_cutoff: 3.5 } }, 'c.yaml').spec.threebody_cutoff, 3.5);
  // configs/m3gnet.yaml as it was (and run directories written from it): every cutoff twice, equal, still loads
  const old = validateConfig(
    { graph: { cutoff: 5, threebody_cutoff: 5 }, model: { name: 'm3gnet', cutoff: 5, threebody_cutoff: 5 } },
    'old.yaml',
  );
  assert.equal([old.spec.cutoff, old.spec.threebody_cutoff], [5, 5]);
});

test('M3GNet: a line graph shorter than the three-body envelope is refused; a longer one, or one at the graph cutoff, is kept', () => {
  throwsInputError(
    () =>
      validateConfig(
        { graph: { cutoff: 5, threebody_cutoff: 3 }, model: { name: 'm3gnet', threebody_cutoff: 4 } },
        'c.yaml',
      ),
    'c.yaml: ',
    'graph.threebody_cutoff = 3',
    'model.threebody_cutoff = 4',
  );
  assert.is(
    validateConfig(
      { graph: { cutoff: 5, threebody_cutoff: 5 }, model: { name: 'm3gnet', threebody_cutoff: 4 } },
      'c.yaml',
    ).spec.threebody_cutoff,
    5,
  );
  // upstream's search keeps a 5 Å graph and line graph while drawing r₃ = 6 Å: the envelope sees no longer edges
  assert.is(
    validateConfig(
      { graph: { cutoff: 5, threebody_cutoff: 5 }, model: { name: 'm3gnet', threebody_cutoff: 6, cutoff: 6 } },
      'c.yaml',
    ).spec.threebody_cutoff,
    5,
  );
});

test('plain Adam with weight decay is refused at validation', () => {
  throwsInputError(
    () => validateConfig({ model: { name: 'schnet' }, training: { optimizer: 'adam', weight_decay: 0.01 } }, 'c.yaml'),
    'c.yaml: ',
    'training.weight_decay = 0.01',
    'training.optimizer: adamw',
  );
  assert.is(
    validateConfig({ model: { name: 'schnet' }, training: { optimizer: 'adamw', weight_decay: 0.01 } }, 'c.yaml')
      .training.weight_decay,
    0.01,
  );
});

test('SO3Net: a bad element table is refused at validation (was: only when the model was built)', () => {
  throwsInputError(
    () => validateConfig({ model: { name: 'so3net', element_types: ['H', 'Li', 'H'] } }, 'c.yaml'),
    'c.yaml: ',
    'model.element_types',
    'H is listed twice',
  );
  throwsInputError(
    () => validateConfig({ model: { name: 'so3net', element_types: ['Li', 'Xx'] } }, 'c.yaml'),
    'model.element_types[1]: "Xx" is not an element symbol',
  );
});

test('the spec carries occupancy, graph features and the element table; config.yaml does not store it', () => {
  const c = validateConfig(
    { data: { occupancy: 'weighted', graph_features: ['z'] }, model: { name: 'so3net', element_types: ELEMENTS } },
    'c.yaml',
  );
  assert.equal(c.spec, { cutoff: 5, occupancy: 'weighted', graph_features: ['z'], element_types: ELEMENTS });
  assert.is(validateConfig({ model: { name: 'painn' } }, 'c.yaml').spec.element_types, null);
  const yaml = configToYaml(c);
  assert.not.ok('spec' in (parseYaml(yaml) as object));
  assert.equal(validateConfig(parseYaml(yaml), 'again.yaml'), c);
  // a validated config passed back in is derived again; a spec written in a file is an unknown key
  assert.is(validateConfig({ ...c, graph: { cutoff: 4 } }, 'spread').spec.cutoff, 4);
  throwsInputError(
    () => validateConfig({ ...parseYaml(yaml), spec: { cutoff: 9 } }, 'written.yaml'),
    "unknown key 'spec'",
  );
});

test('the shipped configs write no derived graph value and give the graphs they did before', () => {
  const specOf = (name: string): unknown => {
    const s = loadConfig(`configs/${name}.yaml`).spec;
    return [s.cutoff, s.max_neighbors, s.threebody_cutoff];
  };
  assert.equal(specOf('cgcnn'), [8, 12, undefined]);
  assert.equal(specOf('m3gnet'), [5, undefined, 5]);
  assert.equal(specOf('so3net'), [5, undefined, undefined]);
  assert.equal(specOf('schnet'), [5, undefined, undefined]);
  assert.equal(specOf('painn'), [5, undefined, undefined]);
});

test.run();
