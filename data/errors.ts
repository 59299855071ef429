/**
 * Bad input from a user: a broken CIF, a config key that does not exist, a missing file, NaN targets.
 * The CLI prints `error: <message>` for these and exits non-zero, without a stack trace, so the
 * message must name the file, line or key and say what was expected.
 */
export class InputError extends Error {
  override name = 'InputError';
}
