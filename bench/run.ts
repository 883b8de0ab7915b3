// `npm run bench [-- name ...]`: runs each bench/*.bench.ts (or those whose name contains one of the
// words) in its own Node process with --expose-gc, one after another, so JIT state and heap from
// one benchmark never colour the next. Peers and baselines come from bench/'s own package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
if (!existsSync(join(here, 'node_modules'))) {
  console.error('bench/node_modules is missing: run `npm --prefix bench ci` (npm run bench does it for you).');
  process.exit(1);
}
const words = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => words.length === 0 || words.some((word) => name.includes(word)))
  .sort();
let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
