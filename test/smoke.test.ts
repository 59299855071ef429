import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { obelixDir } from './helpers/paths.js';

test('shared OBELiX data is reachable', () => {
  assert.ok(existsSync(obelixDir), obelixDir);
});

test.run();
