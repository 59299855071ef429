/** Assertion for the project's error contract: fn throws `InputError` whose message contains every fragment. */
import * as assert from 'uvu/assert';
import { InputError } from '../../data/errors.js';

export function throwsInputError(fn: () => unknown, ...fragments: string[]): InputError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof InputError))
      throw new assert.Assertion({
        message: `expected InputError, got ${String(e)}`,
        expects: 'InputError',
        actual: e,
        operator: 'throws',
        generated: false,
      });
    for (const f of fragments)
      assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return e;
  }
  throw new assert.Assertion({
    message: 'expected an InputError, nothing was thrown',
    expects: 'InputError',
    actual: undefined,
    operator: 'throws',
    generated: false,
  });
}
