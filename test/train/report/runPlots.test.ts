import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRunPlots } from '../../../train/report/runPlots.js';
import { lineChart } from '../../../train/report/svg.js';
import { packageConfigDir } from '../../../train/report/table2.js';
import { projectRoot } from '../../helpers/paths.js';

const tickLabels = (svg: string): string[] =>
  [...svg.matchAll(/text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);

test('learning curves: whole-number epoch ticks, and a legend right of the plot frame (never over a line)', () => {
  const series = [
    { label: 'training loss', xs: [1, 2, 3], ys: [3, 2, 1] },
    { label: 'validation loss', xs: [1, 2, 3], ys: [3.5, 2.5, 2] },
  ];
  const svg = lineChart('t', series, 'epoch', 'loss', { integerX: true });
  const ticks = tickLabels(svg).filter((t) => /^-?[\d.]+$/.test(t));
  assert.equal(ticks, ['1', '2', '3'], 'three epochs, ticks 1 2 3 (no 1.5)');
  const frame = /<rect x="(\d+)" y="\d+" width="(\d+)"[^>]*fill="none"/.exec(svg)!;
  const right = Number(frame[1]) + Number(frame[2]);
  const legendX = [...svg.matchAll(/<text x="([\d.]+)"[^>]*fill="#[0-9a-f]+">/g)].map((m) => Number(m[1]));
  assert.is(legendX.length, 2);
  assert.ok(
    legendX.every((x) => x > right),
    `legend at ${legendX} inside the plot (right edge ${right})`,
  );
});

test('a single run gets learning-curve.svg (training and validation loss) and parity.svg (validation rows)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'run-plots-'));
  const history = [1, 2].map((epoch) => ({
    epoch,
    lr: 1e-3,
    train_loss: 3 - epoch,
    val_loss: 4 - epoch,
    val_mae: 1,
    seconds: 0.1,
  }));
  const written = writeRunPlots(dir, 'tiny', history, [
    { target: -3, prediction: -4 },
    { target: -5, prediction: -5 },
  ]);
  assert.equal(written, [join(dir, 'learning-curve.svg'), join(dir, 'parity.svg')]);
  const curve = readFileSync(written[0], 'utf8');
  assert.ok(curve.includes('>training loss<') && curve.includes('>validation loss<'));
  assert.ok(readFileSync(written[1], 'utf8').includes('MAE 0.50'));
});

test('table2 finds its configs from any working directory', () => {
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    assert.is(packageConfigDir(), join(projectRoot, 'configs'));
  } finally {
    process.chdir(cwd);
  }
});

test.run();
