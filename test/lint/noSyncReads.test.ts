/**
 * Library code never reads tensors synchronously: `dataSync`, `arraySync` and `bufferSync` throw on webgpu in Node
 * (docs/webgpu.md) and stall the device elsewhere. The check parses every .ts file under the library directories and
 * looks for those members in code, so comments and strings that name them do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import { projectRoot } from '../helpers/paths.js';

const LIBRARY_DIRS = ['data', 'graph', 'models', 'train', 'cli'];
const SYNC_READS = new Set(['dataSync', 'arraySync', 'bufferSync']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `line: code` for each use of a synchronous read member (`x.dataSync()`, `x['arraySync']`, a bare `x.bufferSync`). */
function syncReads(source: string, fileName = 'source.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const name = ts.isPropertyAccessExpression(node)
      ? node.name.text
      : ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)
        ? node.argumentExpression.text
        : null;
    if (name !== null && SYNC_READS.has(name)) {
      const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      found.push(`${line + 1}: ${node.getText(sf)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('the detector finds calls and member references, and ignores comments and strings', () => {
  const code = [
    '// y.dataSync() in a comment',
    '/* x.arraySync() */ const s = "z.dataSync()";',
    'const a = t.dataSync();',
    'const b = tf.tidy(() => u.arraySync()[0]);',
    "const c = v['bufferSync']();",
    'const read = w.dataSync;',
  ].join('\n');
  assert.equal(syncReads(code), ['3: t.dataSync', '4: u.arraySync', "5: v['bufferSync']", '6: w.dataSync']);
});

test(`library code (${LIBRARY_DIRS.join(', ')}) has no synchronous tensor reads`, () => {
  const files = LIBRARY_DIRS.flatMap((d) => tsFiles(join(projectRoot, d)));
  assert.ok(files.length > 50, `found only ${files.length} library files`);
  const offenders = files.flatMap((f) => {
    const source = readFileSync(f, 'utf8');
    // parse only the files that mention one of the names at all
    return /(data|array|buffer)Sync/.test(source)
      ? syncReads(source, f).map((hit) => `${relative(projectRoot, f)}:${hit}`)
      : [];
  });
  assert.equal(
    offenders,
    [],
    `synchronous reads in library code (use await t.data() / t.array()):\n  ${offenders.join('\n  ')}`,
  );
});

test.run();
