/**
 * Collects bench/gpu/run.sh's per-run JSON lines (OUTDIR/webgpu-*.json, torch-*.json, adapter.json) into
 * OUTDIR/results.json and a markdown table OUTDIR/results.md:
 *   node dist/bench/gpu/summarize.js OUTDIR
 * A run that produced no JSON is listed with its status (failed, timeout) from OUTDIR/status.tsv.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Row = Record<string, unknown>;
const out = process.argv[2];
if (!out) throw new Error('usage: summarize.js OUTDIR');

const read = (file: string): Row | null =>
  existsSync(join(out, file))
    ? (JSON.parse(readFileSync(join(out, file), 'utf8').trim().split('\n').pop()!) as Row)
    : null;
const status = existsSync(join(out, 'status.tsv'))
  ? readFileSync(join(out, 'status.tsv'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
  : [];
const meta = read('meta.json') ?? {};
const adapter = read('adapter.json');
const runs = status.map(([kind, model, state, seconds]) => ({
  kind,
  model,
  status: state,
  wall_seconds: Number(seconds),
  result: read(`${kind}-${model}.json`),
}));
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ ...meta, adapter, runs }, null, 2)}\n`);

const fmt = (x: unknown) => (typeof x === 'number' ? x.toFixed(2) : '–');
const lines = [
  `# GPU benchmark (${String(meta.date ?? '')})`,
  '',
  `WebGPU adapter: ${adapter?.ok ? String(adapter.description) : `none (${String(adapter?.reason ?? 'not probed')})`}  `,
  `PyTorch device: ${String(runs.find((r) => r.kind === 'torch' && r.result)?.result?.device_name ?? 'not run')}  `,
  `Settings: ${String(meta.settings ?? '')}`,
  '',
  '| model | framework | structures | steady epoch (s) | epochs (s) | status |',
  '|---|---|---|---|---|---|',
  ...runs.map((r) => {
    const res = r.result ?? {};
    const epochs = Array.isArray(res.epoch_seconds) ? (res.epoch_seconds as number[]).map(fmt).join(', ') : '–';
    const framework = r.kind === 'torch' ? String(res.framework ?? 'pytorch') : 'crystal-gnn webgpu';
    return `| ${r.model} | ${framework} | ${String(res.structures ?? '–')} | ${fmt(res.steady_epoch_seconds)} | ${epochs} | ${r.status} (${r.wall_seconds} s) |`;
  }),
];
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
