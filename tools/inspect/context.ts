// What every command is handed: the file system, stdout, the progress bar, the parsed options
// and the time the run started.

import type { FileSystem } from '../../lib/fs/fs.ts';
import type { TypeName } from '../../lib/keyspace/keyspace.ts';
import type { Output, Progress } from './output.ts';

export interface Options {
  json: boolean;
  yes: boolean;
  match: string | null;
  type: TypeName | null;
  expired: boolean;
  from: number | null;
  to: number | null;
  full: boolean;
  top: number;
  warnElements: number;
  snapshotName: string;
}

export interface Context {
  fs: FileSystem;
  out: Output;
  progress: Progress;
  options: Options;
  now: number;
}
