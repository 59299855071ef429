import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flattenStateDict, readTorchFile, type TorchTensor } from '../../train/torchFile.js';
import { throwsInputError } from '../helpers/inputError.js';
import { fixturesDir } from '../helpers/paths.js';

const dir = join(fixturesDir, 'torch');
interface Ref {
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  malicious_marker: string;
}
const ref = JSON.parse(readFileSync(join(dir, 'torch-ref.json'), 'utf8')) as Ref;

function tensorsOf(file: string): Map<string, TorchTensor> {
  return flattenStateDict(readTorchFile(join(dir, file)).root);
}

for (const file of ['zip.pt', 'legacy.pt']) {
  test(`${file}: every tensor (non-contiguous view, float64, int64, parameter) equals torch's values`, () => {
    const tensors = tensorsOf(file);
    for (const [name, want] of Object.entries(ref.tensors)) {
      const t = tensors.get(name);
      assert.ok(t, `${name} missing`);
      assert.is(t!.dtype, want.dtype, name);
      assert.equal(t!.shape, want.shape, name);
      const got = [...t!.data].map((v) => (typeof v === 'bigint' ? Number(v) : v));
      const expect = want.dtype === 'float32' ? [...Float32Array.from(want.values)] : want.values;
      assert.equal(got, expect, name);
    }
    const view = tensors.get('state_dict.layer.view')!;
    assert.equal(view.stride, [2, 6]); // the view was read through its strides, not as a contiguous block
    assert.is(view.offset, 6);
    assert.is(tensors.get('nested.mean')!.item(), -4.1); // float64 kept exactly
    assert.ok(tensors.get('state_dict.layer.weight')!.isParameter);
  });
}

test('a pickle naming os.system is refused, naming the global, and nothing runs', () => {
  rmSync(ref.malicious_marker, { force: true });
  throwsInputError(
    () => readTorchFile(join(dir, 'malicious.pt')),
    'malicious.pt',
    "'os.system'",
    'not on the whitelist',
  );
  assert.not.ok(existsSync(ref.malicious_marker));
});

test('a whitelisted class of another format is refused unless the caller allows it', () => {
  const best = join(fixturesDir, 'torch', 'zip.pt');
  assert.ok(readTorchFile(best)); // plain state dicts need no extra names
  throwsInputError(
    () => readTorchFile(join(dir, 'malicious.pt'), { allow: ['matgl.data.transformer.Normalizer'] }),
    "'os.system'",
  );
});

test('element counts are capped: a file asking for more is refused before allocating', () => {
  throwsInputError(() => readTorchFile(join(dir, 'zip.pt'), { maxElements: 20 }), 'zip.pt', 'refusing');
});

test('truncated and garbage files: one InputError naming the file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'torchfile-'));
  for (const file of ['zip.pt', 'legacy.pt']) {
    const bytes = readFileSync(join(dir, file));
    const cut = join(tmp, `cut-${file}`);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    throwsInputError(() => readTorchFile(cut), cut);
  }
  const garbage = join(tmp, 'garbage.pt');
  writeFileSync(garbage, Buffer.from('this is not a checkpoint at all'));
  throwsInputError(() => readTorchFile(garbage), garbage, 'not a torch file');
  throwsInputError(() => readTorchFile(join(tmp, 'absent.pt')), 'absent.pt', 'cannot read');
  rmSync(tmp, { recursive: true });
});

test.run();
