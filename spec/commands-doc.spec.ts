// docs/COMMANDS.md is generated from the command table; this fails when they drift apart.

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandsDoc } from '../tools/commands-doc.ts';

test('docs/COMMANDS.md matches the command table (regenerate with npx tsx tools/commands-doc.ts)', () => {
  assert.fixture(readFileSync(new URL('../docs/COMMANDS.md', import.meta.url), 'utf8'), commandsDoc());
});

test.run();
