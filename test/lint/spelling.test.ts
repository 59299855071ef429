/**
 * One spelling of "neighbor" (#19): the config keys (`graph.max_neighbors`), pymatgen and PyTorch Geometric write it
 * so, and the sources, comments, docs and messages follow. Data files (test fixtures, JSON, CIFs) keep upstream's text.
 */
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { projectRoot } from '../helpers/paths.js';

const OTHER_SPELLING = ['neigh', 'bour'].join(''); // split, so that this file does not match itself

test('no tracked source, doc or message spells neighbor the other way', () => {
  let hits = '';
  try {
    hits = execFileSync(
      'git',
      [
        'grep',
        '-n',
        '-I',
        '-i',
        OTHER_SPELLING,
        '--',
        '.',
        ':(exclude)test/fixtures',
        ':(exclude)*.json',
        ':(exclude)*.cif',
        ':(exclude)*.mcif',
      ],
      { cwd: projectRoot, encoding: 'utf8' },
    );
  } catch (e) {
    if ((e as { status?: number }).status !== 1) throw e; // git grep exits 1 when nothing matches
  }
  assert.is(hits, '', `lines to respell:\n${hits}`);
});

test.run();
