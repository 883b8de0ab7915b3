// Writes docs/COMMANDS.md from the command table (lib/commands.ts): every command with its arity,
// flags and key positions, so the list in the docs cannot drift from what `call` accepts.
// Run: npx tsx tools/commands-doc.ts   (spec/commands-doc.spec.ts checks the file is current)

import { writeFileSync } from 'node:fs';
import { allCommands } from '../lib/commands.ts';

export function commandsDoc(): string {
  const rows = allCommands().map((spec) => {
    const arity = spec.arity > 0 ? `${spec.arity - 1}` : `>= ${-spec.arity - 1}`;
    const flags = [spec.write ? 'write' : 'read', spec.denyoom ? 'denyoom' : '', spec.fast ? 'fast' : ''].filter(Boolean).join(', ');
    const keys = spec.firstKey === 0 ? '-' : `${spec.firstKey}..${spec.lastKey === -1 ? 'last' : spec.lastKey} step ${spec.keyStep}`;
    return `| ${spec.name.toUpperCase()} | ${arity} | ${flags} | ${keys} |`;
  });
  return `# Commands

Generated from the command table (lib/commands.ts) by \`npx tsx tools/commands-doc.ts\`; do not edit
by hand. Every command here is reachable through \`store.call(name, ...args)\` with Redis 7.0's
arguments, replies and error texts (differences: docs/DIFFERENCES.md), and, for data commands, as a
typed method of the same name.

- **arguments**: how many \`call\` takes after the name (Redis's arity minus one).
- **flags**: \`write\` changes the keyspace (logged, refused while writes are refused); \`denyoom\`
  may grow memory (evicts first, or OOM under maxmemory); \`fast\` is O(1) or O(log n) in emberkv and
  never timed for the slow log.
- **keys**: which arguments are keys (1-based, as Redis's key specs).

| command | arguments | flags | keys |
|---|---|---|---|
${rows.join('\n')}
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('../docs/COMMANDS.md', import.meta.url), commandsDoc());
  console.log('wrote docs/COMMANDS.md');
}
