/**
 * Bad input from a user: a broken CIF, a config key that does not exist, a missing file, NaN targets.
 * The CLI prints `error: <message>` for these and exits non-zero, without a stack trace, so the
 * message must name the file, line or key and say what was expected.
 */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * The accelerator failed (a WebGPU validation error, out-of-memory, device lost) or a tensor does not fit its
 * limits. Results computed after it would be wrong, so the run stops; the CLI prints `error: <message>`.
 */
export class DeviceError extends Error {
  override name = 'DeviceError';
}
