// The test runner behind `npm test`: runs every spec file in its own process (crash and lock tests
// need isolation, and two at a time use both cores), prints each file's output, then one summary
// line `N passed, N failed` that CI reads. `npm test -- zset aof` runs only files whose path
// contains one of the words.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findSpecs(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findSpecs(path));
    else if (name.endsWith('.spec.ts')) found.push(path);
  }
  return found;
}

interface FileResult { file: string; passed: number; failed: number; output: string; ms: number }

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('close', (code, signal) => {
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const ms = Date.now() - started;
      const name = relative(root, file);
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        // The file crashed before uvu could report: count it as one failure, never as silence.
        resolve({ file: name, passed: 0, failed: 1, output: `${output}\n  (exited with ${signal ?? code} before reporting)\n`, ms });
        return;
      }
      const failed = total - passed + (code !== 0 && total === passed ? 1 : 0);
      resolve({ file: name, passed, failed, output, ms });
    });
  });
}

const files = findSpecs(join(root, 'spec')).filter(
  (file) => filters.length === 0 || filters.some((word) => relative(root, file).includes(word)),
);
const results: FileResult[] = [];
const queue = [...files];
const workers = Math.max(1, Math.min(availableParallelism(), 2));
await Promise.all(
  Array.from({ length: workers }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const result = await runFile(file);
      results.push(result);
      const status = result.failed === 0 ? 'ok  ' : 'FAIL';
      process.stdout.write(`${status} ${result.file} (${result.passed} passed, ${result.failed} failed, ${result.ms} ms)\n`);
      if (result.failed !== 0 || process.env.VERBOSE) process.stdout.write(result.output.replace(/^/gm, '    ') + '\n');
      else {
        // Skip lines (a missing redis-server, say) must stay visible even when the file passes.
        for (const line of result.output.split('\n')) if (/^SKIP\b/.test(line)) process.stdout.write(`    ${line}\n`);
      }
    }
  }),
);
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 && files.length > 0 ? 0 : 1;
