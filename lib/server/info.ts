// INFO: the store's state in Redis's sections and field names, as an object (store.info()) and
// as Redis's text (call('INFO')): "# Section\r\nfield:value\r\n", sections separated by a blank line.

export type InfoValue = string | number;
export type InfoSection = Record<string, InfoValue>;
export type Info = Record<string, InfoSection>;

/** The sections INFO shows by default and with "all", in Redis's order. */
export const INFO_SECTIONS = ['server', 'memory', 'persistence', 'stats', 'keyspace'] as const;
export type InfoSectionName = (typeof INFO_SECTIONS)[number];

/** Redis's bytesToHuman: 1023B, 1.50K, 2.25M, 3.00G. */
export function bytesToHuman(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)}${units[unit]}`;
}

/** The names INFO's arguments select: default/all/everything, or section names (case-insensitive). */
export function selectSections(names: readonly string[]): InfoSectionName[] {
  if (names.length === 0) return [...INFO_SECTIONS];
  const wanted = new Set<InfoSectionName>();
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === 'default' || lower === 'all' || lower === 'everything') INFO_SECTIONS.forEach((s) => wanted.add(s));
    else if ((INFO_SECTIONS as readonly string[]).includes(lower)) wanted.add(lower as InfoSectionName);
  }
  return INFO_SECTIONS.filter((section) => wanted.has(section));
}

export function formatInfo(info: Info): string {
  const parts: string[] = [];
  for (const [section, fields] of Object.entries(info)) {
    let text = `# ${section[0].toUpperCase()}${section.slice(1)}\r\n`;
    for (const [field, value] of Object.entries(fields)) text += `${field}:${value}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}

/** instantaneous_ops_per_sec: commands counted every 100 ms, averaged over the last 16 samples. */
export class OpsMeter {
  private readonly samples: number[] = [];
  private lastCount = 0;
  private lastMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly count: () => number) {}

  start(): void {
    this.lastMs = performance.now();
    this.lastCount = this.count();
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    const now = performance.now();
    const count = this.count();
    const elapsed = now - this.lastMs;
    if (elapsed > 0) this.samples.push(((count - this.lastCount) * 1000) / elapsed);
    if (this.samples.length > 16) this.samples.shift();
    this.lastCount = count;
    this.lastMs = now;
  }

  get perSecond(): number {
    if (this.samples.length === 0) return 0;
    return Math.round(this.samples.reduce((sum, rate) => sum + rate, 0) / this.samples.length);
  }
}
