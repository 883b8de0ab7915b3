// dump: every key as open() would load it, one JSON line each.

import type { Context } from './context.ts';
import { type KeyFilter, dumpLineOf, loadKeys, noteProblems } from './keys.ts';
import type { Target } from './target.ts';

export async function dump(context: Context, target: Target, filter: KeyFilter): Promise<number> {
  const { out } = context;
  const problems = await loadKeys(context, target, filter, (parts) => out.line(JSON.stringify(dumpLineOf(parts))), false);
  out.flush();
  return noteProblems(context, problems);
}
