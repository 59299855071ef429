import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../cli/commands/checkpoint.js';
import { initBackend } from '../../train/backend.js';
import { loadModel, readCheckpoint, type CheckpointContents } from '../../train/load.js';
import { sampleFor } from '../../graph/featurize.js';
import { predictSamples } from '../../train/trainer.js';
import { readSafetensors } from '../../train/safetensors.js';
import { readUpstreamFile } from '../../train/upstreamFiles.js';
import { throwsInputError } from '../helpers/inputError.js';
import { pretrainedDir } from '../helpers/paths.js';

await initBackend('cpu');

/** Each upstream file as published, beside its converted twin (same tensors, bit for bit). */
const CASES = [
  { file: 'upstream/cgcnn/efermi.pth.tar', twin: 'cgcnn-efermi' },
  { file: 'upstream/cgcnn/formation-energy-per-atom.pth.tar', twin: 'cgcnn-formation-energy-per-atom' },
  { file: 'upstream/cgcnn/band-gap.pth.tar', twin: 'cgcnn-band-gap' },
  { file: 'upstream/matgl/M3GNet-MP-2018.6.1-Eform', twin: 'm3gnet-mp-2018.6.1-eform' },
  { file: 'schnetpack-reference/schnet/best_model', twin: 'schnetpack-reference/schnet' },
  { file: 'schnetpack-reference/painn/best_model', twin: 'schnetpack-reference/painn' },
];

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

function assertSameWeights(a: CheckpointContents, b: CheckpointContents, what: string): void {
  assert.equal([...a.weights.keys()].sort(), [...b.weights.keys()].sort(), what);
  for (const [k, t] of b.weights) {
    assert.equal(a.weights.get(k)!.shape, t.shape, `${what} ${k}`);
    assert.ok(sameBits(a.weights.get(k)!.data, t.data), `${what} ${k}: values differ`);
  }
}

for (const c of CASES) {
  test(`${c.file} read directly = its converted twin (config, tensors bit-equal)`, () => {
    const direct = readCheckpoint(join(pretrainedDir, c.file));
    const twin = readCheckpoint(join(pretrainedDir, c.twin));
    assert.equal(direct.config.model, twin.config.model);
    assert.equal(direct.config.graph, twin.config.graph);
    assertSameWeights(direct, twin, c.file);
    if (c.file.includes('schnetpack')) {
      // best_model carries AddOffsets' float64 mean (-4.1); the twin has no post-processor
      assert.equal(direct.normalizer, { mode: 'mean', mean: -4.1, std: 1 });
      assert.is(twin.normalizer.mode, 'none');
    } else {
      assert.equal(direct.normalizer, twin.normalizer);
    }
  });
}

test('checkpoint convert writes a folder that reads back as the same checkpoint', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'convert-'));
  for (const c of [CASES[0], CASES[3], CASES[5]]) {
    const out = join(tmp, c.twin.replace(/\//g, '_'));
    convertCheckpoint(join(pretrainedDir, c.file), out);
    const back = readCheckpoint(out);
    const direct = readCheckpoint(join(pretrainedDir, c.file));
    assert.equal(back.config.model, direct.config.model);
    assert.equal(back.normalizer, direct.normalizer);
    assertSameWeights(back, direct, `${c.file} converted`);
    const twinWeights = readFileSync(join(pretrainedDir, c.twin, 'weights.safetensors'));
    if (!c.file.includes('schnetpack'))
      assert.ok(readSafetensors(join(out, 'weights.safetensors')).size > 0 && twinWeights.length > 0);
  }
  rmSync(tmp, { recursive: true });
});

test("the CGCNN featurisation is upstream predict.py's, and the checkpoint's training state is reported as skipped", () => {
  const f = readUpstreamFile(join(pretrainedDir, 'upstream/cgcnn/efermi.pth.tar'));
  assert.equal((f.config.featurization as Record<string, unknown>).radius, 8);
  assert.equal(f.containers[0].format, 'legacy');
  assert.equal(f.skipped.map((s) => s.name).sort(), ['args', 'best_mae_error', 'optimizer']);
  const s = readUpstreamFile(join(pretrainedDir, 'schnetpack-reference/painn/best_model'));
  assert.equal(s.skipped.map((x) => x.name).sort(), ['postprocessors.1.atomref', 'postprocessors.1.mean']);
});

test('predictions from the files as published: CGCNN efermi = upstream predict.py; M3GNet = its twin', async () => {
  const refs = JSON.parse(readFileSync(join(pretrainedDir, 'cgcnn-reference-predictions.json'), 'utf8')) as Record<
    string,
    { efermi: number }
  >;
  const predict = async (model: string, ids: string[]): Promise<number[]> => {
    const m = loadModel(join(pretrainedDir, model));
    const samples = ids.map((id) => sampleFor(join(pretrainedDir, 'reference-cifs', `${id}.cif`), m.config.spec));
    const y = await predictSamples(m.model, samples, m.normalizer, 8, Number.MAX_SAFE_INTEGER);
    m.model.dispose();
    return Array.from(y);
  };
  const ids = ['11b', 'y2l', '2t8'];
  const y = await predict('upstream/cgcnn/efermi.pth.tar', ids);
  ids.forEach((id, i) =>
    assert.ok(Math.abs(y[i] - refs[id].efermi) < 2e-5, `${id}: ${y[i]} vs upstream ${refs[id].efermi}`),
  );
  assert.equal(
    [...(await predict('upstream/matgl/M3GNet-MP-2018.6.1-Eform', ['11b']))],
    [...(await predict('m3gnet-mp-2018.6.1-eform', ['11b']))],
  );
  const [spk] = await predict('schnetpack-reference/painn/best_model', ['11b']);
  const [bare] = await predict('schnetpack-reference/painn', ['11b']);
  assert.is(spk, bare + -4.1); // AddOffsets: float64 mean added to the float32 output
});

test('a path that is none of the kinds: one InputError naming it', () => {
  throwsInputError(() => readCheckpoint(join(pretrainedDir, 'no-such-model.pth.tar')), 'no-such-model.pth.tar');
  throwsInputError(() => readCheckpoint(join(pretrainedDir, 'README.md')), 'README.md');
});

test.run();
