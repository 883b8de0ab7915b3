// A RecordSink that hands each unit of the write path to the test: a record alone, a batch whole,
// and the SET fast path as the record it stands for.

import type { LogRecord, RecordSink } from '../../lib/keyspace/keyspace.ts';
import type { Value } from '../../lib/types.ts';

export function recordingSink(take: (unit: LogRecord[]) => void): RecordSink {
  return {
    append: (record: LogRecord) => take([record]),
    appendBatch: (records: LogRecord[]) => take(records),
    appendSet: (key: string, value: Value) => take([['SET', key, value]]),
  };
}
