/**
 * Whether WebGPU tests can run here. Without an adapter (no Vulkan driver; CI installs Mesa's lavapipe) the webgpu
 * suites are skipped and say so on stderr; `CRYSTAL_GNN_REQUIRE_WEBGPU=1` (set by .ci/run) turns that skip into a
 * failure, so CI cannot pass with the WebGPU tests silently not run.
 */
import { InputError } from '../../data/errors.js';
import { initBackend } from '../../train/backend.js';

/** Activates webgpu (a software adapter allowed). Returns false, after printing why, when no adapter exists. */
export async function webgpuOrSkip(file: string): Promise<boolean> {
  try {
    await initBackend('webgpu');
    return true;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    if (process.env.CRYSTAL_GNN_REQUIRE_WEBGPU === '1')
      throw new Error(`CRYSTAL_GNN_REQUIRE_WEBGPU=1 but ${e.message}`);
    process.stderr.write(`SKIPPED ${file}: ${e.message}\n`);
    console.log('SKIPPED: no WebGPU adapter');
    return false;
  }
}
