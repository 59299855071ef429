/**
 * Behaviour check for refactors: trains each paper-best config (configs/{cgcnn,schnet,painn,so3net,m3gnet}.yaml)
 * for 2 epochs of 2 steps on the first 16 training + 8 validation structures of its fold 0 (wasm backend, the
 * config's seed) and prints every epoch's training and validation loss with 17 significant digits. Run it before
 * and after a change; the printed lines must be identical.
 *
 *   node --import tsx scripts/check/firstLosses.ts [cgcnn schnet painn so3net m3gnet]   (needs ../shared/obelix)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../../train/backend.js';
import { loadConfig } from '../../train/config.js';
import { loadDataset, trainOnSamples } from '../../train/run.js';
import { samplesFor } from '../../graph/featurize.js';
import { trainValidationSplit } from '../../train/validationSplit.js';

const names = process.argv.slice(2).length ? process.argv.slice(2) : ['cgcnn', 'schnet', 'painn', 'so3net', 'm3gnet'];
const data = process.env.CRYSTAL_GNN_DATA ?? resolve('..', 'shared', 'obelix');
await initBackend('wasm');
for (const name of names) {
  const config = loadConfig(join('configs', `${name}.yaml`), [
    'backend=wasm',
    'training.epochs=2',
    'training.batch_size=8',
    'training.shuffle=false',
  ]);
  const ds = await loadDataset(config, data, () => {});
  const split = trainValidationSplit(ds, config);
  const train = samplesFor(ds, split.train.slice(0, 16), config);
  const val = samplesFor(ds, split.val.slice(0, 8), config);
  const out = mkdtempSync(join(tmpdir(), 'first-losses-'));
  try {
    await trainOnSamples(config, train, val, { out, log: () => {}, backend: 'wasm' });
    const records = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    for (const r of records)
      console.log(
        `${name} epoch ${r.epoch}: train_loss ${r.train_loss.toPrecision(17)} val_loss ${r.val_loss.toPrecision(17)}`,
      );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
