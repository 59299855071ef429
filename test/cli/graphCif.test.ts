// `crystal-gnn graph` on the real-world CIF fixtures (issue #23): stdout holds only the JSON lines, with
// pymatgen's atom and edge counts; the reader's warnings and the block note go to stderr; --block picks a block.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, projectRoot } from '../helpers/paths.js';

const cifDir = join(fixturesDir, 'cif');
const ref = JSON.parse(readFileSync(join(fixturesDir, 'cif-symmetry-ref.json'), 'utf8')) as {
  files: Record<string, { structures: { sites: number; distances5: number[] }[] }>;
};

function graph(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), 'graph', ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('stdout is one JSON line per file with pymatgen counts; warnings only on stderr', () => {
  const names = [
    'dot-coordinate.cif',
    'magnetic-centred.mcif',
    'multiline-quote.cif',
    'symbol-hall.cif',
    'two-blocks.cif',
  ];
  const r = graph(...names.map((n) => join(cifDir, n)), '--cutoff', '5');
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; num_atoms: number; num_edges: number });
  assert.equal(
    lines.map((l) => l.id),
    names.map((n) => n.replace(/\.cif$/, '')),
  ); // fileStem strips .cif only
  lines.forEach((l, k) => {
    const want = ref.files[names[k]].structures[0];
    assert.equal([l.num_atoms, l.num_edges], [want.sites, want.distances5.length], names[k]);
  });
  const err = r.stderr.trimEnd().split('\n');
  assert.is(err.length, 7, r.stderr); // 4 '.' coordinates, 2 multi-line quotes, 1 block note
  for (const line of err) assert.ok(line.startsWith('warning: '), line);
  assert.ok(err.some((l) => l.includes("dot-coordinate.cif:22: _atom_site_fract_z is '.'")));
  assert.ok(err.some((l) => l.includes('two-blocks.cif: 2 structures')));
});

test('--block reads the named block; an unknown block is one error line', () => {
  const second = graph(join(cifDir, 'two-blocks.cif'), '--cutoff', '5', '--block', 'sm_second');
  assert.is(second.status, 0, second.stderr);
  const line = JSON.parse(second.stdout) as { num_atoms: number; num_edges: number };
  const want = ref.files['two-blocks.cif'].structures[1];
  assert.equal([line.num_atoms, line.num_edges], [want.sites, want.distances5.length]);
  assert.is(second.stderr, '');
  const missing = graph(join(cifDir, 'two-blocks.cif'), '--cutoff', '5', '--block', 'nope');
  assert.is(missing.status, 2); // input errors exit 2 (README)
  assert.is(missing.stdout, '');
  assert.match(
    missing.stderr,
    /^error: .*two-blocks\.cif: no data block data_nope \(blocks: data_sm_global, data_sm_isotypic_first, data_sm_second\)\n$/,
  );
});

test.run();
