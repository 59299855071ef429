/**
 * A slice of the config and run-directory fuzz (scripts/fuzz-configs.ts runs all of it, with hang detection): every
 * input is answered by an InputError (one `error:` line) or a correct run, never another exception.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { answerConfig, answerRunDamage, baseRun, configCases, runDamages } from '../helpers/runFuzz.js';

test.before(async () => {
  await initBackend('cpu');
});

test('the corpus is deterministic and as large as the issue asks: >= 1000 configs, >= 200 damaged run directories', () => {
  const a = configCases(1200);
  assert.equal(
    configCases(1200).map((c) => c.text),
    a.map((c) => c.text),
  );
  assert.is(new Set(a.map((c) => c.text)).size > 1000, true);
  assert.ok(runDamages().length >= 200, `${runDamages().length} damages`);
});

test('every 12th mutated config: an error line or a model', () => {
  const work = mkdtempSync(join(tmpdir(), 'fuzz-test-'));
  const cases = configCases(1200).filter((_, i) => i % 12 === 0);
  const bad = cases.map((c) => ({ c, a: answerConfig(c, work) })).filter(({ a }) => a.outcome === 'trace');
  assert.equal(
    bad.map(({ c, a }) => `${c.name}: ${a.detail}`),
    [],
  );
});

test('every 4th damaged run directory, used by predict and resumed: an error line or a correct run', async () => {
  const base = await baseRun();
  const work = mkdtempSync(join(tmpdir(), 'fuzz-test-'));
  const bad: string[] = [];
  for (const d of runDamages().filter((_, i) => i % 4 === 0)) {
    for (const a of await answerRunDamage(base, d, work))
      if (a.outcome === 'trace') bad.push(`${d.name} (${a.how}): ${a.detail}`);
  }
  assert.equal(bad, []);
});

test.run();
