/**
 * Prints the WebGPU adapter Dawn finds as one JSON line (bench/gpu/run.sh checks it is the NVIDIA GPU before timing):
 *   node dist/bench/gpu/adapter.js  ->  {"ok":true,"vendor":"nvidia",...,"software":false,"description":"..."}
 * Exit status 1 when there is no adapter, with the reason in the line.
 */
import { describeAdapter, setupWebGPU } from '../../train/webgpu.js';

const result = await setupWebGPU(true);
if (result.ok) {
  const a = result.setup.adapter;
  console.log(
    JSON.stringify({
      ok: true,
      vendor: a.vendor,
      architecture: a.architecture,
      device: a.device,
      software: a.software,
      description: describeAdapter(a),
      limits: a.limits,
    }),
  );
  process.exit(0);
}
console.log(JSON.stringify({ ok: false, reason: result.reason }));
process.exit(1);
