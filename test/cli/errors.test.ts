/**
 * Bad input on the command line ends in one `error:` line and exit status 2, never a stack trace (issue #21):
 * `--set` values, run directories with a garbage config, output paths that cannot be written, missing data.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../helpers/paths.js';

function crystalGnn(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit status 2 and exactly one line on stderr after the backend line, starting `error: ` and matching `pattern`. */
function inputError(args: string[], pattern: RegExp, env: Record<string, string> = {}): void {
  const r = crystalGnn(args, env);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('backend: '));
  assert.is(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

const dir = mkdtempSync(join(tmpdir(), 'cli-errors-'));
const schnet = join(projectRoot, 'configs', 'schnet.yaml');
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'x');

test('--set: a YAML syntax error and a bad value name the --set argument, not the config file', () => {
  inputError(
    ['info', '--config', schnet, '--set', 'training.lr=[1,2'],
    /^error: --set training\.lr=\[1,2: the value is not valid YAML/,
  );
  inputError(
    ['info', '--config', schnet, '--set', 'training.lr=abc'],
    /^error: --set training\.lr=abc: invalid config: training\.lr: .*expected number/,
  );
  inputError(
    ['info', '--config', schnet, '--set', 'model.nope=1'],
    /^error: --set model\.nope=1: invalid config: unknown key 'model\.nope'/,
  );
});

test('predict --run / evaluate --run on a run directory with a garbage config.yaml', () => {
  const run = join(dir, 'garbage-run');
  mkdirSync(run);
  writeFileSync(join(run, 'config.yaml'), 'model: [schnet\n  : :');
  writeFileSync(join(run, 'weights.safetensors'), '');
  inputError(['predict', '--run', run, join(projectRoot, 'README.md')], /config\.yaml: not valid YAML/);
  inputError(['evaluate', '--run', run], /config\.yaml: not valid YAML/);
  writeFileSync(join(run, 'config.yaml'), '- a list\n');
  inputError(['evaluate', '--run', run], /config\.yaml: expected a mapping at the top level/);
});

test('output paths that are files, lie under files, or are directories for a file: refused before any data loads', () => {
  const noData = { CRYSTAL_GNN_DATA: join(dir, 'no-data-here') };
  inputError(['train', '--config', schnet, '--out', aFile], /--out .*a-file: is a file, not a directory/, noData);
  inputError(
    ['cv', '--config', schnet, '--out', join(aFile, 'cv')],
    /--out .*a-file\/cv: .*a-file is a file, so no directory can be made under it/,
    noData,
  );
  inputError(
    ['search', '--config', join(projectRoot, 'configs', 'search', 'schnet.yaml'), '--out', join(aFile, 'a', 'b')],
    /a-file is a file/,
    noData,
  );
  inputError(['table2', '--out', aFile], /--out .*a-file: is a file/, noData);
  inputError(['evaluate', '--run', dir, '--out', dir], /--out .*: is a directory; name a file/);
});

test('train --resume with nothing to resume, or into a run of another config: said before any data loads', () => {
  const noData = { CRYSTAL_GNN_DATA: join(dir, 'no-data-here') };
  inputError(
    ['train', '--config', schnet, '--out', join(dir, 'fresh'), '--resume'],
    /--resume: .*fresh holds no run to resume/,
    noData,
  );
  const other = join(dir, 'other-run');
  mkdirSync(other);
  writeFileSync(join(other, 'config.yaml'), 'model: { name: schnet }\ntraining: { lr: 0.01 }\n');
  inputError(
    ['train', '--config', schnet, '--out', other],
    /other-run was made with a different config \(.*training\.lr: 0\.01 there, 0\.001 here/,
    noData,
  );
});

test('a data directory that does not exist is named, not downloaded into', () => {
  inputError(
    ['train', '--config', schnet, '--out', join(dir, 'run'), '--data', join(dir, 'missing')],
    /data directory .*missing does not exist.*data fetch --dest/,
  );
});

test('one exit-code convention: a missing CIF is input error 2, and --help says so', () => {
  const r = crystalGnn(['graph', join(dir, 'missing.cif'), '--cutoff', '3']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /^error: .*missing\.cif/);
  inputError(['graph', dir, '--cutoff', '3'], /no CIF files given/);
  assert.match(crystalGnn(['--help']).stdout, /Exit status: 0 done; 2 bad input/);
});

test('predict refuses --run and --model together instead of silently preferring one', () => {
  inputError(['predict', '--run', dir, '--model', dir, 'x.cif'], /give --run DIR or --model DIR, not both/);
});

test('--help: every option of every command has a description', () => {
  for (const cmd of [
    'train',
    'pretrain',
    'evaluate',
    'predict',
    'info',
    'cv',
    'search',
    'table2',
    'graph',
    'data fetch',
  ]) {
    const help = crystalGnn([...cmd.split(' '), '--help']).stdout;
    const bare = help
      .split('\n')
      .filter((l) => /^\s+--[a-z-]+\s+\[[a-z]+\]/.test(l) && /^\s+--[a-z-]+\s+\[[a-z]+\]( \[[^\]]+\])*\s*$/.test(l));
    assert.equal(bare, [], `${cmd}: options without a description`);
  }
});

test.run();
