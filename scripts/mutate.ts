/**
 * Mutation check: applies plausible one-line slips, one at a time, to a scratch copy of the repository and runs the
 * tests related to each; a mutant is killed when one of them fails. Prints the score (killed/total) and every
 * survivor with its file:line and diff. The working tree is never touched: the scratch copy is the tracked and
 * untracked (not ignored) files, with node_modules linked.
 *
 *   nice node --import tsx scripts/mutate.ts              # all mutants
 *   nice node --import tsx scripts/mutate.ts cv-leak adam-bias1   # some, by id
 *   node --import tsx scripts/mutate.ts --check           # every slip still applies (its text occurs once)
 *
 * Each mutant names the text it replaces (it must occur exactly once in its file) and the test files to run, fast
 * and most related first (a run stops at the first failing file). Keep the list with the code: when a slip's text
 * changes, `--check` says which one.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutant {
  id: string;
  file: string;
  from: string;
  to: string;
  tests: string[];
}

const FOLDS = 'test/data/folds.test.ts';
const MEMBERSHIP = 'test/train/foldMembership.test.ts';
const CV = 'test/train/cv.test.ts';
const SEARCH = 'test/train/search.test.ts';
const TRAINER = 'test/train/trainer.test.ts';
const OPTIM = 'test/train/optim.test.ts';
const NEIGHBORS = ['test/graph/neighbors.test.ts', 'test/graph/obelix.test.ts'];
const KNN = ['test/graph/knn.test.ts', 'test/graph/kdTree.test.ts', 'test/graph/obelix.test.ts'];

const MUTANTS: Mutant[] = [
  // the twelve slips of issue #24
  {
    id: 'cutoff-inclusive',
    file: 'graph/neighbors.ts',
    from: 'return inclusive ? cutoff * cutoff + PYMATGEN_TOL : cutoff * cutoff;',
    to: 'return cutoff * cutoff;',
    tests: NEIGHBORS,
  },
  {
    id: 'round-half-up',
    file: 'data/rounding.ts',
    from: 'return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;',
    to: 'return r;',
    tests: ['test/data/rounding.test.ts', 'test/data/occupancy.test.ts'],
  },
  {
    id: 'symop-minus-sign',
    file: 'data/symmetryOps.ts',
    from: 'if (c === 45) sign = -1;',
    to: 'if (c === 45) sign = 1;',
    tests: ['test/data/symmetryOps.test.ts', 'test/data/cif.test.ts'],
  },
  {
    id: 'segment-softmax-grad',
    file: 'models/layers/ops.ts',
    from: 'return tf.mul(a, tf.sub(dy, weighted));',
    to: 'return tf.mul(a, dy);',
    tests: ['test/models/layers/ops.test.ts'],
  },
  {
    id: 'cosine-cutoff-half',
    file: 'models/layers/cutoff.ts',
    from: 'tf.mul(tf.add(tf.cos(tf.div(tf.mul(d, Math.PI), cutoff)), 1), 0.5)',
    to: 'tf.add(tf.cos(tf.div(tf.mul(d, Math.PI), cutoff)), 1)',
    tests: ['test/models/layers/cutoff.test.ts'],
  },
  // PaiNN's messages now only go through EdgeFlow (layers/flow.ts), so the direction slip is made there: the centre
  // gathers its own features instead of its neighbor's. (Swapping toCentre for toNeighbor in painn.ts is an
  // equivalent mutant: it flips every edge vector, and PaiNN's outputs are invariant to that global parity.)
  {
    id: 'painn-message-direction',
    file: 'models/layers/flow.ts',
    from: "return EdgeFlow.along(batch, 'dst', 'src');",
    to: "return EdgeFlow.along(batch, 'src', 'src');",
    tests: ['test/models/painn.test.ts'],
  },
  // The fused webgpu PaiNN message with u reversed in its radial term only (lavapipe runs the test; it skips without an adapter).
  {
    id: 'painn-fused-radial-direction',
    file: 'models/layers/fusedPainn.ts',
    from: '* C[j * 3 * F + F + f] * U[e * 3 + x];',
    to: '* C[j * 3 * F + F + f] * -U[e * 3 + x];',
    tests: ['test/webgpu/fusedPainn.test.ts'],
  },
  // The fused webgpu batch norm without s in dx's dγ term, and CGCNN's fused gate with σ for σ′ in df (lavapipe).
  {
    id: 'batchnorm-fused-dgamma-scale',
    file: 'models/layers/fusedBatchNorm.ts',
    from: 'let correction = (X[index] - mean) * (a * s * DGamma[c]) + a * DBeta[c];',
    to: 'let correction = (X[index] - mean) * (a * DGamma[c]) + a * DBeta[c];',
    tests: ['test/webgpu/batchNorm.test.ts'],
  },
  {
    id: 'cgcnn-fused-gate-derivative',
    file: 'models/layers/fusedGate.ts',
    from: "'softplusOf(Core[index]) * (gate * (1.0 - gate))'",
    to: "'softplusOf(Core[index]) * gate'",
    tests: ['test/webgpu/fusedGate.test.ts'],
  },
  {
    id: 'tensor-product-fused-db-index',
    file: 'models/layers/fusedTensorProduct.ts',
    from: "['A', 'G'], (t) => [t.s1, t.s])",
    to: "['A', 'G'], (t) => [t.s2, t.s])",
    tests: ['test/webgpu/fusedTensorProduct.test.ts'],
  },
  {
    id: 'degree-gate-fused-sigmoid-derivative',
    file: 'models/layers/fusedDegreeGate.ts',
    from: 'setOutputAtIndex(index, acc * sig * (1.0 - sig));',
    to: 'setOutputAtIndex(index, acc * sig);',
    tests: ['test/webgpu/fusedDegreeGate.test.ts'],
  },
  {
    id: 'degree-gate-fused-degree',
    file: 'models/layers/fusedDegreeGate.ts',
    from: '(k + 1) ** 2',
    to: '(k + 1) * 2',
    tests: ['test/webgpu/fusedDegreeGate.test.ts'],
  },
  {
    id: 'lstm-fused-forget-derivative',
    file: 'models/layers/fusedLstm.ts',
    from: 'd = a * C[b * H + j] * s * (1.0 - s);',
    to: 'd = a * C[b * H + j] * s;',
    tests: ['test/webgpu/fusedLstm.test.ts'],
  },
  {
    id: 'segment-max-fused-start',
    file: 'models/layers/fusedSegmentMax.ts',
    from: 'var m = -uniforms.INFINITY;',
    to: 'var m = 0.0;',
    tests: ['test/webgpu/fusedSegmentMax.test.ts'],
  },
  {
    id: 'batchnorm-grad',
    file: 'models/layers/ops.ts',
    from: ': tf.sub(scaled, tf.add(tf.mul(c, tf.mul(k1, rowShare)), tf.mul(k2, rowShare)));',
    to: ': tf.sub(scaled, tf.mul(c, tf.mul(k1, rowShare)));',
    tests: ['test/models/layers/batchNorm.test.ts'],
  },
  {
    id: 'adam-bias1',
    file: 'train/optim.ts',
    from: 'const c1 = 1 - this.beta1 ** t;',
    to: 'const c1 = 1 - this.beta1;',
    tests: [OPTIM],
  },
  {
    id: 'early-stop-patience',
    file: 'train/trainer.ts',
    from: 'this.state.badEpochs >= patience',
    to: 'this.state.badEpochs > patience',
    tests: [TRAINER],
  },
  {
    id: 'cv-leak',
    file: 'train/cv.ts',
    from: 'const train = entries.filter((e) => !held.has(e.id)).map(',
    to: 'const train = entries.map(',
    tests: [MEMBERSHIP, CV],
  },
  {
    id: 'search-draw-order',
    file: 'train/search.ts',
    from: 'for (let k = keys.length - 1; k >= 0; k--) {',
    to: 'for (let k = 0; k < keys.length; k++) {',
    tests: [SEARCH],
  },
  {
    id: 'resume-epoch',
    file: 'train/trainer.ts',
    from: 'for (let epoch = this.state.epoch; !stoppedEarly && epoch < this.cfg.epochs; epoch++) {',
    to: 'for (let epoch = this.state.epoch + 1; !stoppedEarly && epoch < this.cfg.epochs; epoch++) {',
    tests: [TRAINER],
  },

  // data/
  {
    id: 'symop-constant-sign',
    file: 'data/symmetryOps.ts',
    from: 'op[4 * row + 3] += sign * coef;',
    to: 'op[4 * row + 3] += coef;',
    tests: ['test/data/symmetryOps.test.ts', 'test/data/cif.test.ts', 'test/data/cif.obelix.test.ts'],
  },
  {
    id: 'symop-apply-row',
    file: 'data/symmetryOps.ts',
    from: 'op[4] * x + op[5] * y + op[6] * z + op[7];',
    to: 'op[4] * x + op[5] * y + op[6] * z + op[3];',
    tests: ['test/data/symmetryOps.test.ts', 'test/data/cif.test.ts'],
  },
  {
    id: 'occupancy-math-round',
    file: 'data/rounding.ts',
    from: 'roundHalfEven(s.occupancy) === 1',
    to: 'Math.round(s.occupancy) === 1',
    tests: ['test/data/rounding.test.ts', 'test/data/occupancy.test.ts'],
  },
  {
    id: 'std-biased',
    file: 'data/normalizer.ts',
    from: 'Math.sqrt(ss / (n - 1))',
    to: 'Math.sqrt(ss / n)',
    tests: ['test/data/normalizer.test.ts', TRAINER],
  },
  {
    id: 'fold-sizes-extra',
    file: 'data/folds.ts',
    from: '(f < n % k ? 1 : 0)',
    to: '(f <= n % k ? 1 : 0)',
    tests: [FOLDS],
  },
  {
    id: 'groupkfold-tie',
    file: 'data/folds.ts',
    from: 'if (folds[f].length < folds[lightest].length) lightest = f;',
    to: 'if (folds[f].length <= folds[lightest].length) lightest = f;',
    tests: [FOLDS],
  },
  {
    id: 'groupkfold-order',
    file: 'data/folds.ts',
    from: 'members.get(b)!.length - members.get(a)!.length',
    to: 'members.get(a)!.length - members.get(b)!.length',
    tests: [FOLDS],
  },
  {
    id: 'train-indices',
    file: 'data/folds.ts',
    from: 'filter((i) => !held.has(i));',
    to: 'filter((i) => i >= 0);',
    tests: [FOLDS, 'test/train/baselines/tabular.test.ts'],
  },
  {
    id: 'paper-seed-swap',
    file: 'data/folds.ts',
    from: "'schnetpack_painn_schnet_seed10_254' ? 10 : 12",
    to: "'schnetpack_painn_schnet_seed10_254' ? 12 : 10",
    tests: [FOLDS],
  },
  {
    id: 'folds-from-duplicate',
    file: 'data/folds.ts',
    from: 'if (prev !== undefined) throw',
    to: 'if (prev === -1) throw',
    tests: [FOLDS],
  },
  {
    id: 'split-fraction-floor',
    file: 'data/datasets/source.ts',
    from: 'const nVal = Math.round(kept.length * fraction);',
    to: 'const nVal = Math.floor(kept.length * fraction);',
    tests: ['test/train/pretrain.test.ts'],
  },
  {
    id: 'split-leak-one',
    file: 'data/datasets/source.ts',
    from: 'train: kept.slice(nVal) };',
    to: 'train: kept.slice(nVal - 1) };',
    tests: ['test/train/pretrain.test.ts'],
  },

  // graph/
  {
    id: 'kdtree-strict',
    file: 'graph/kdTree.ts',
    from: 'if (dx * dx + dy * dy + dz * dz < limit) out.push(p[3]);',
    to: 'if (dx * dx + dy * dy + dz * dz <= limit) out.push(p[3]);',
    tests: ['test/graph/kdTree.test.ts', ...NEIGHBORS],
  },
  {
    id: 'kdtree-knn-tiebreak',
    file: 'graph/kdTree.ts',
    from: 'id < bestId[k - 1]',
    to: 'id > bestId[k - 1]',
    tests: KNN,
  },
  {
    id: 'knn-squared-distance',
    file: 'graph/knn.ts',
    from: 'Math.sqrt(bestD2[s]),',
    to: 'bestD2[s],',
    tests: KNN,
  },
  {
    id: 'image-round',
    file: 'graph/periodicImages.ts',
    from: 'const u = Math.floor(f);',
    to: 'const u = Math.round(f);',
    tests: ['test/graph/periodicImages.test.ts', ...NEIGHBORS],
  },
  {
    id: 'neighbors-self',
    file: 'graph/neighbors.ts',
    from: 'for (const id of found) if (id !== selfId[i]) ids[m++] = id;',
    to: 'for (const id of found) ids[m++] = id;',
    tests: NEIGHBORS,
  },
  {
    id: 'linegraph-strict',
    file: 'graph/lineGraph.ts',
    from: 'if (distances[e] <= threebodyCutoff) count[src[e] + 1]++;',
    to: 'if (distances[e] < threebodyCutoff) count[src[e] + 1]++;',
    tests: ['test/graph/lineGraph.test.ts'],
  },
  {
    id: 'linegraph-self-triplet',
    file: 'graph/lineGraph.ts',
    from: 'if (a === b) continue;',
    to: '',
    tests: ['test/graph/lineGraph.test.ts'],
  },
  // equivalent mutant (it survives): findTwin(e) = e needs i = j and S = −S = 0, a self-edge, which no neighbor list holds
  {
    id: 'pairs-self-twin',
    file: 'graph/pairs.ts',
    from: 'if (twin >= 0 && twin !== e && edgePair[twin] < 0)',
    to: 'if (twin >= 0 && edgePair[twin] < 0)',
    tests: ['test/graph/pairs.test.ts'],
  },
  {
    id: 'batch-dst-offset',
    file: 'graph/batch.ts',
    from: 'dst[edgeOffset + k] = s.dst[k] + atomOffset;',
    to: 'dst[edgeOffset + k] = s.dst[k];',
    tests: ['test/graph/batch.test.ts'],
  },
  {
    id: 'batch-triplet-offset',
    file: 'graph/batch.ts',
    from: 'edgeB[tripletOffset + k] = s.triplets.edgeB[k] + edgeOffset;',
    to: 'edgeB[tripletOffset + k] = s.triplets.edgeB[k] + tripletOffset;',
    tests: ['test/graph/batch.test.ts'],
  },
  {
    id: 'batch-edge-cap',
    file: 'graph/batch.ts',
    from: 'edges + e > maxEdges',
    to: 'edges + e >= maxEdges',
    tests: ['test/graph/batch.test.ts', TRAINER],
  },

  // train/{cv,search,trainer,optim} and the run they share
  {
    id: 'cv-sd-sample',
    file: 'train/cv.ts',
    from: 'reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);',
    to: 'reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));',
    tests: [CV, SEARCH],
  },
  {
    id: 'cv-fold-check',
    file: 'train/cv.ts',
    from: 'if (covered.size !== known.size || folds.flat().length !== known.size) {',
    to: 'if (covered.size !== known.size) {',
    tests: [MEMBERSHIP, CV],
  },
  {
    id: 'cv-wrong-held',
    file: 'train/cv.ts',
    from: 'const held = new Set(folds[f]);',
    to: 'const held = new Set(folds[(f + 1) % folds.length]);',
    tests: [MEMBERSHIP, CV],
  },
  {
    id: 'cv-pending-order',
    file: 'train/cv.ts',
    from: 'b.epochsLeft - a.epochsLeft',
    to: 'a.epochsLeft - b.epochsLeft',
    tests: [CV],
  },
  {
    id: 'train-split-leak',
    file: 'train/validationSplit.ts',
    from: 'return { train: all.filter((e) => !held.has(e.id)), val:',
    to: 'return { train: all, val:',
    tests: [MEMBERSHIP],
  },
  {
    id: 'normalizer-leak',
    file: 'train/run.ts',
    from: 'fitNormalizer(\n    train.map((s) => s.target),',
    to: 'fitNormalizer(\n    [...train, ...val].map((s) => s.target),',
    tests: [TRAINER, MEMBERSHIP, CV],
  },
  {
    id: 'search-retrain-patience',
    file: 'train/search.ts',
    from: 'return Math.max(1, Math.floor(mean) - patience);',
    to: 'return Math.max(1, Math.floor(mean));',
    tests: [SEARCH],
  },
  {
    id: 'search-rank-order',
    file: 'train/search.ts',
    from: 'a.cv_mae - b.cv_mae || a.trial - b.trial',
    to: 'b.cv_mae - a.cv_mae || a.trial - b.trial',
    tests: [SEARCH],
  },
  {
    id: 'search-draw-tail',
    file: 'train/search.ts',
    from: '.permutation(size).slice(0, trials)',
    to: '.permutation(size).slice(size - trials)',
    tests: [SEARCH],
  },
  {
    id: 'retrain-drops-row',
    file: 'train/search.ts',
    from: "samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }), finalConfig)",
    to: "samplesFor(ds, splitEntries(ds, 'train', { cifOnly: true }).slice(1), finalConfig)",
    tests: [MEMBERSHIP, SEARCH],
  },
  {
    id: 'resume-best-loss',
    file: 'train/trainer.ts',
    from: 'this.state = { ...s.state, history: [...s.state.history] };',
    to: 'this.state = { ...s.state, bestValLoss: Infinity, history: [...s.state.history] };',
    tests: [TRAINER],
  },
  {
    id: 'resume-epoch-restore',
    file: 'train/trainer.ts',
    from: 'this.state = { ...s.state, history: [...s.state.history] };',
    to: 'this.state = { ...s.state, epoch: s.state.epoch - 1, history: [...s.state.history] };',
    tests: [TRAINER],
  },
  {
    id: 'resume-keep-best',
    file: 'train/run.ts',
    from: 'else if (keepBest && resumed) model.loadState(',
    to: 'else if (false) model.loadState(',
    tests: [TRAINER],
  },
  {
    id: 'trainer-best-epoch',
    file: 'train/trainer.ts',
    from: 'this.state.bestEpoch = epoch + 1;\n          this.state.badEpochs = 0;',
    to: 'this.state.bestEpoch = epoch;\n          this.state.badEpochs = 0;',
    tests: [TRAINER],
  },
  {
    id: 'trainer-min-delta',
    file: 'train/trainer.ts',
    from: 'v.loss < this.state.bestValLoss - this.cfg.min_delta',
    to: 'v.loss < this.state.bestValLoss + this.cfg.min_delta',
    tests: [TRAINER],
  },
  {
    id: 'trainer-shuffle',
    file: 'train/trainer.ts',
    from: 'if (this.cfg.shuffle) shuffleInPlace',
    to: 'if (!this.cfg.shuffle) shuffleInPlace',
    tests: [TRAINER],
  },
  {
    id: 'trainer-grad-clip',
    file: 'train/trainer.ts',
    from: 'tf.minimum(1, tf.div(this.cfg.grad_clip!',
    to: 'tf.maximum(1, tf.div(this.cfg.grad_clip!',
    tests: [TRAINER],
  },
  {
    id: 'trainer-huber-half',
    file: 'train/losses.ts',
    from: '0.5 * quadratic * quadratic + huberDelta * (a - quadratic)',
    to: 'quadratic * quadratic + huberDelta * (a - quadratic)',
    tests: [TRAINER],
  },
  {
    id: 'trainer-keep-best',
    file: 'train/run.ts',
    from: 'if (!keepBest || improved) run.writeWeights',
    to: 'if (improved) run.writeWeights',
    tests: [TRAINER, CV],
  },
  {
    id: 'adam-bias2',
    file: 'train/optim.ts',
    from: 'tf.div(tf.sqrt(v), Math.sqrt(c2))',
    to: 'tf.div(tf.sqrt(v), c2)',
    tests: [OPTIM],
  },
  {
    id: 'adamw-decay',
    file: 'train/optim.ts',
    from: 'const decay = 1 - this.lr * this.weightDecay;',
    to: 'const decay = 1 - this.weightDecay;',
    tests: [OPTIM],
  },
  {
    id: 'adam-eps-inside',
    file: 'train/optim.ts',
    from: 'tf.add(tf.div(tf.sqrt(v), Math.sqrt(c2)), this.eps)',
    to: 'tf.div(tf.sqrt(tf.add(v, this.eps)), Math.sqrt(c2))',
    tests: [OPTIM],
  },
  {
    id: 'cosine-schedule',
    file: 'train/optim.ts',
    from: '(Math.PI * epoch) / totalEpochs',
    to: '(Math.PI * (epoch + 1)) / totalEpochs',
    tests: [OPTIM],
  },
  {
    id: 'plateau-patience',
    file: 'train/optim.ts',
    from: 'if (this.bad > this.patience) {',
    to: 'if (this.bad >= this.patience) {',
    tests: [OPTIM],
  },
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Where `from` sits in its file, or why the mutant no longer applies. */
function locate(dir: string, m: Mutant): { line: number } | { error: string } {
  const path = join(dir, m.file);
  if (!existsSync(path)) return { error: `${m.file} does not exist` };
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf(m.from);
  if (at < 0) return { error: `text not found in ${m.file}` };
  if (text.indexOf(m.from, at + 1) >= 0) return { error: `text occurs more than once in ${m.file}` };
  return { line: lineOf(text, at) };
}

/** A copy of the tracked and untracked (not ignored) files, node_modules linked, outside the working tree. */
function scratchCopy(): string {
  const base = mkdtempSync(join(tmpdir(), 'crystal-gnn-mutate-'));
  const dir = join(base, 'repo');
  const list = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`git ls-files failed: ${list.stderr}`);
  for (const f of list.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** Runs test files in order until one fails; returns the first failing one (null: all passed). */
function firstFailure(
  dir: string,
  tests: string[],
  env: NodeJS.ProcessEnv,
): { file: string; timedOut: boolean } | null {
  for (const t of tests) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', t], {
      cwd: dir,
      env,
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) return { file: t, timedOut: r.signal === 'SIGTERM' };
  }
  return null;
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const ids = args.filter((a) => !a.startsWith('--'));
  const unknown = ids.filter((id) => !MUTANTS.some((m) => m.id === id));
  if (unknown.length) throw new Error(`unknown mutant ids: ${unknown.join(', ')}`);
  const chosen = ids.length ? MUTANTS.filter((m) => ids.includes(m.id)) : MUTANTS;
  const stale = chosen.map((m) => [m, locate(root, m)] as const).filter(([, l]) => 'error' in l);
  for (const [m, l] of stale) console.log(`stale ${m.id}: ${(l as { error: string }).error}`);
  if (check) {
    console.log(`${chosen.length - stale.length}/${chosen.length} mutants apply`);
    process.exit(stale.length ? 1 : 0);
  }
  if (stale.length) process.exit(1);

  const dir = scratchCopy();
  const env = {
    ...process.env,
    FORCE_COLOR: '0',
    CRYSTAL_GNN_SHARED: process.env.CRYSTAL_GNN_SHARED ?? resolve(root, '..', 'shared'),
  };
  console.log(`scratch copy: ${dir}`);
  const baseline = [...new Set(chosen.flatMap((m) => m.tests))];
  const broken = baseline
    .map((t) => [t, firstFailure(dir, [t], env)] as const)
    .filter(([, f]) => f !== null)
    .map(([t]) => t);
  if (broken.length) {
    console.log(`the unmutated code fails ${broken.join(', ')}: fix that first`);
    process.exit(1);
  }
  const survivors: string[] = [];
  let killed = 0;
  for (const m of chosen) {
    const path = join(dir, m.file);
    const original = readFileSync(path, 'utf8');
    const { line } = locate(dir, m) as { line: number };
    const start = Date.now();
    writeFileSync(path, original.replace(m.from, m.to));
    let failure: ReturnType<typeof firstFailure>;
    try {
      failure = firstFailure(dir, m.tests, env);
    } finally {
      writeFileSync(path, original);
    }
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    if (failure) {
      killed++;
      console.log(
        `killed   ${m.id} (${m.file}:${line}) by ${failure.file}${failure.timedOut ? ' (timeout)' : ''}, ${secs} s`,
      );
    } else {
      const diff = `${m.file}:${line}\n    - ${m.from.split('\n').join('\n    - ')}\n    + ${m.to.split('\n').join('\n    + ')}`;
      survivors.push(`${m.id} ${diff}\n    tests run: ${m.tests.join(', ')}`);
      console.log(`SURVIVED ${m.id} (${m.file}:${line}), ${secs} s`);
    }
  }
  rmSync(dirname(dir), { recursive: true, force: true });
  console.log(`\nmutation score: ${killed}/${chosen.length} killed`);
  if (survivors.length) console.log(`survivors:\n  ${survivors.join('\n  ')}`);
}

main();
