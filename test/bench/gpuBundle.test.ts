/**
 * The offline GPU bundle (bench/gpu/): what the node_modules pruning keeps and drops, and run.sh's argument handling.
 * The end-to-end run (bundle.sh, then run.sh --allow-software on lavapipe) is in docs/performance.md, not in CI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keepFile, keepPackage } from '../../bench/gpu/prune.js';

const runSh = fileURLToPath(new URL('../../bench/gpu/run.sh', import.meta.url));

test('prune keeps linux-x64 dawn.node and the webgpu entry, and no other platform', () => {
  assert.ok(keepFile('webgpu', 'dist/linux-x64/dawn.node', 'index.js'));
  assert.ok(keepFile('webgpu', 'index.js', 'index.js'));
  assert.ok(keepFile('webgpu', 'package.json', 'index.js'));
  for (const f of [
    'dist/linux-arm64/dawn.node',
    'dist/darwin-universal/dawn.node',
    'dist/win32-x64/dawn.node',
    'dist/win32-x64/dxcompiler.dll',
    'build/postinstall.js',
  ]) {
    assert.not.ok(keepFile('webgpu', f, 'index.js'), f);
  }
});

test('prune keeps only the Node bundle of TF.js packages and no wasm binaries', () => {
  const main = 'dist/tf-backend-wasm.node.js';
  assert.ok(keepFile('@tensorflow/tfjs-backend-wasm', main, main));
  for (const f of [
    'wasm-out/tfjs-backend-wasm-simd.wasm',
    'dist/tfjs-backend-wasm.wasm',
    'dist/tf-backend-wasm.js',
    'dist/index.js',
    'dist/tf-backend-wasm.node.js.map',
  ]) {
    assert.not.ok(keepFile('@tensorflow/tfjs-backend-wasm', f, main), f);
  }
  assert.ok(
    keepFile('@tensorflow/tfjs-backend-webgpu', 'dist/tf-backend-webgpu.node.js', 'dist/tf-backend-webgpu.node.js'),
  );
  assert.not.ok(keepFile('@tensorflow/tfjs-core', 'dist/ops/add.js', 'dist/tf-core.node.js'));
});

test('prune keeps nested runtime modules (yaml/dist/doc) and drops maps, types and top-level tests', () => {
  assert.ok(keepFile('yaml', 'dist/doc/directives.js', './dist/index.js'));
  assert.ok(keepFile('zod', 'v4/core/core.cjs', undefined));
  assert.ok(keepFile('seedrandom', 'LICENSE', 'index.js'));
  for (const f of ['dist/index.js.map', 'dist/index.d.ts', 'src/index.ts', 'test/basic.js', 'README.md'])
    assert.not.ok(keepFile('yaml', f, './dist/index.js'), f);
});

test('prune drops type-only packages, browser polyfills and the CUDA binding', () => {
  for (const p of ['@types/node', '@webgpu/types', 'core-js', '@tensorflow/tfjs-node-gpu'])
    assert.not.ok(keepPackage(p), p);
  for (const p of ['webgpu', '@tensorflow/tfjs-core', 'yaml', 'debug']) assert.ok(keepPackage(p), p);
});

function run(args: string[], bundle: string): { status: number | null; out: string; err: string } {
  const r = spawnSync('bash', [runSh, '--bundle', bundle, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RUN_SH_DRY_RUN: '1' },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('run.sh: arguments parsed, bad ones refused with one error line', () => {
  const bundle = mkdtempSync(join(tmpdir(), 'gpu-bundle-'));
  try {
    writeFileSync(join(bundle, 'node.xz'), '');
    writeFileSync(join(bundle, 'app.tar.xz'), '');
    const ok = run(
      ['out', '--allow-software', '--structures', '8', '--epochs', '2', '--models', 'schnet cgcnn'],
      bundle,
    );
    assert.is(ok.status, 0, ok.err);
    assert.is(
      ok.out.trim(),
      'outdir=out allow_software=1 epochs=2 structures=8 budget=75 total=450 models=schnet cgcnn',
    );
    assert.match(run(['out'], bundle).out, 'allow_software=0 epochs=3 structures=all');
    const bad: Array<[string[], string]> = [
      [[], 'usage'],
      [['out', '--epochs', '0'], '--epochs needs a positive integer'],
      [['out', '--budget'], '--budget needs a value'],
      [['out', '--total', 'x'], '--total needs a positive integer'],
      [['out', '--frobnicate'], 'unknown option --frobnicate'],
      [['out', 'other'], 'one OUTDIR only'],
      [['out', '--models', 'schnet dimenet'], "unknown model 'dimenet'"],
    ];
    for (const [args, message] of bad) {
      const r = run(args, bundle);
      assert.is(r.status, 2, args.join(' '));
      assert.match(r.err, message);
      assert.is(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.startsWith('error: '), r.err);
    }
    const missing = run(['out'], join(bundle, 'nowhere'));
    assert.is(missing.status, 2);
    assert.match(missing.err, 'no bundle');
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
});

test.run();
