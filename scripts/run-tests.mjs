#!/usr/bin/env node
// Runs every test/**/*.test.ts file in its own Node process (TF.js keeps global backend state,
// so isolation keeps one file's backend or memory from leaking into the next), then prints the
// totals as a last line "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let passed = 0;
let failed = 0;
const failedFiles = [];
const files = findTests(join(root, 'test')).filter((f) => !filter || filter.test(f));
for (const file of files) {
  const rel = relative(root, file);
  const start = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const text = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  const total = /Total:\s+(\d+)/.exec(text);
  const ok = /Passed:\s+(\d+)/.exec(text);
  const n = total ? Number(total[1]) : 0;
  const p = ok ? Number(ok[1]) : 0;
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  if (res.status !== 0 || !total || p < n) {
    // A file that crashed before reporting counts as one failure at least.
    const f = Math.max(n - p, 1);
    failed += f;
    passed += p;
    failedFiles.push(rel);
    console.log(`FAIL ${rel} (${p}/${n}, ${secs}s)`);
    console.log(
      text
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  } else {
    passed += p;
    console.log(`ok   ${rel} (${p} tests, ${secs}s)`);
    // a suite that could not run here (e.g. no WebGPU adapter) says so: repeat it where everyone looks
    for (const line of text.split('\n').filter((l) => l.startsWith('SKIPPED '))) console.log(`     ${line}`);
  }
}
if (failedFiles.length) console.log(`\nfailed files:\n  ${failedFiles.join('\n  ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
