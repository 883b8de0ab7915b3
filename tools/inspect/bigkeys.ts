// bigkeys: the largest keys by type, by elements and by bytes, and a warning for each hash or
// sorted set past --warn-elements.

import { TYPE_NAMES, type TypeName } from '../../lib/keyspace/keyspace.ts';
import type { Context } from './context.ts';
import { bold, count, formatBytes, plural, showArg, table, yellow } from './format.ts';
import { type KeyFilter, type KeySize, loadKeys, noteProblems, sizeOf } from './keys.ts';
import type { Target } from './target.ts';

/** The N largest by one measure, kept sorted, largest first. */
class Top {
  readonly items: KeySize[] = [];

  constructor(
    private readonly limit: number,
    private readonly measure: (size: KeySize) => number,
  ) {}

  offer(size: KeySize): void {
    const value = this.measure(size);
    if (this.items.length >= this.limit && value <= this.measure(this.items[this.items.length - 1])) return;
    let at = this.items.length;
    while (at > 0 && this.measure(this.items[at - 1]) < value) at--;
    this.items.splice(at, 0, size);
    if (this.items.length > this.limit) this.items.pop();
  }
}

export async function bigkeys(context: Context, target: Target, filter: KeyFilter): Promise<number> {
  const { out, options } = context;
  const perType = Object.fromEntries(
    TYPE_NAMES.map((type) => [type, { keys: 0, elements: 0, bytes: 0, byElements: new Top(1, (s) => s.elements), byBytes: new Top(1, (s) => s.bytes) }]),
  ) as Record<TypeName, { keys: number; elements: number; bytes: number; byElements: Top; byBytes: Top }>;
  const topBytes = new Top(options.top, (s) => s.bytes);
  const topElements = new Top(options.top, (s) => s.elements);
  const tooBig: KeySize[] = [];
  let keys = 0;
  const problems = await loadKeys(
    context,
    target,
    filter,
    (parts) => {
      const size = sizeOf(parts);
      const type = size.type;
      keys++;
      const totals = perType[type];
      totals.keys++;
      totals.elements += size.elements;
      totals.bytes += size.bytes;
      totals.byBytes.offer(size);
      topBytes.offer(size);
      if (type !== 'string') {
        totals.byElements.offer(size);
        topElements.offer(size);
        if (size.elements > options.warnElements) tooBig.push(size);
      }
    },
    true,
  );
  tooBig.sort((a, b) => b.elements - a.elements);
  const word = (type: TypeName) => (type === 'hash' ? 'fields' : type === 'zset' ? 'members' : 'bytes');
  const advice = (size: KeySize) =>
    `${size.type} ${JSON.stringify(size.key)} has ${count(size.elements)} ${word(size.type)}, past ${count(options.warnElements)}: split it across several keys (for example ${size.key}:{0..15} by a hash of the ${size.type === 'hash' ? 'field' : 'member'}); one huge value makes every whole-value command, DEL and snapshot of it slow`;
  if (options.json) {
    out.json({
      path: target.path,
      keys,
      byType: Object.fromEntries(
        TYPE_NAMES.map((type) => [
          type,
          {
            keys: perType[type].keys,
            elements: perType[type].elements,
            bytes: perType[type].bytes,
            biggestByElements: type === 'string' ? null : (perType[type].byElements.items[0] ?? null),
            biggestByBytes: perType[type].byBytes.items[0] ?? null,
          },
        ]),
      ),
      topByBytes: topBytes.items,
      topByElements: topElements.items,
      warnings: tooBig.map((size) => ({ ...size, message: advice(size) })),
      problems,
    });
  } else {
    out.line(`${bold(target.path)}: ${plural(keys, 'key')}${filter.match !== null || filter.type !== null ? ' matching the filter' : ''}`);
    out.line('');
    const rows = [['type', 'keys', 'elements', 'bytes', 'biggest by elements', 'biggest by bytes']];
    for (const type of TYPE_NAMES) {
      const totals = perType[type];
      const byElements = totals.byElements.items[0];
      const byBytes = totals.byBytes.items[0];
      rows.push([
        type,
        count(totals.keys),
        type === 'string' ? '-' : count(totals.elements),
        formatBytes(totals.bytes),
        byElements === undefined ? '-' : `${showArg(byElements.key, false)} (${count(byElements.elements)} ${word(type)})`,
        byBytes === undefined ? '-' : `${showArg(byBytes.key, false)} (${formatBytes(byBytes.bytes)})`,
      ]);
    }
    for (const line of table(rows, [1, 2, 3])) out.line(line);
    const list = (title: string, top: Top) => {
      if (top.items.length === 0) return;
      out.line('');
      out.line(title);
      const rows = [['bytes', 'elements', 'memory≈', 'type', 'key']];
      for (const size of top.items) rows.push([formatBytes(size.bytes), size.type === 'string' ? '-' : count(size.elements), formatBytes(size.memory), size.type, showArg(size.key, false)]);
      for (const line of table(rows, [0, 1, 2])) out.line(line);
    };
    list(`Top ${count(options.top)} by bytes`, topBytes);
    list(`Top ${count(options.top)} hashes and sorted sets by elements`, topElements);
    if (tooBig.length > 0) out.line('');
    for (const size of tooBig) out.line(`${yellow('warning')}: ${advice(size)}`);
  }
  out.flush();
  return noteProblems(context, problems);
}
