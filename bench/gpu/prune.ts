/**
 * The runtime `node_modules` of the offline GPU bundle (bench/gpu/bundle.sh): the production dependencies only,
 * pruned to what Node loads on x86-64 Linux. The rules are pure functions so test/benchGpuBundle.test.ts checks them.
 *
 *   node --import tsx bench/gpu/prune.ts DEST_NODE_MODULES    (run in the repository root, after `npm ci`)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Packages that only carry types or browser polyfills: nothing Node loads at run time. */
const DROPPED_PACKAGES = /^(@types\/|@webgpu\/types$|core-js$|@tensorflow\/tfjs-node(-gpu)?$)/;

/** Whether a production package goes into the bundle at all. */
export function keepPackage(name: string): boolean {
  return !DROPPED_PACKAGES.test(name);
}

/**
 * Whether `file` (path inside the package, '/'-separated) is needed at run time. `main` is the package's entry
 * from package.json. TF.js packages ship one self-contained CommonJS bundle for Node (`main`, e.g.
 * dist/tf-core.node.js) next to browser bundles, an ES module tree and source maps: only `main` is kept. The wasm
 * backend's .wasm binaries go (the bundle runs webgpu), and of Dawn's binaries only linux-x64's dawn.node.
 */
export function keepFile(pkg: string, file: string, main: string | undefined): boolean {
  const base = file.split('/').pop()!;
  if (file === 'package.json' || /^licen[cs]e/i.test(base)) return true;
  if (/\.(map|d\.[cm]?ts|ts|md|wasm)$/.test(base) || /\.(ts|tsx)$/.test(file)) return false;
  if (/^(test|tests|__tests__|docs?|examples?)\//.test(file)) return false; // top level only: yaml has dist/doc/
  if (pkg.startsWith('@tensorflow/')) return main !== undefined && file === normalise(main);
  if (pkg === 'webgpu') return file === 'index.js' || file === 'dist/linux-x64/dawn.node';
  return true;
}

function normalise(path: string): string {
  return path.replace(/^\.\//, '');
}

function walk(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(p).isDirectory() ? walk(p, root) : [relative(root, p).split(sep).join('/')];
  });
}

/** Copies the pruned production closure of ./node_modules into `dest`; returns [files, bytes]. */
export function prune(dest: string, root = process.cwd()): [number, number] {
  const listing = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const dirs = listing.split('\n').filter((d) => d.includes(`${sep}node_modules${sep}`));
  let files = 0;
  let bytes = 0;
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; main?: string };
    if (!keepPackage(pkg.name)) continue;
    const main = pkg.main && !/\.[cm]?js$/.test(pkg.main) ? `${pkg.main}.js` : pkg.main;
    for (const file of walk(dir)) {
      if (!keepFile(pkg.name, file, main)) continue;
      const to = join(dest, relative(join(root, 'node_modules'), dir), file);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(dir, file), to);
      files++;
      bytes += statSync(to).size;
    }
  }
  return [files, bytes];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dest = process.argv[2];
  if (!dest) throw new Error('usage: prune.ts DEST_NODE_MODULES');
  const [files, bytes] = prune(dest);
  console.log(`node_modules: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
}
