// The bytes an append-only file holds past its last successful fsync, kept so that a failed fsync
// (after which the kernel may have dropped them) can be answered by writing them again.
//
// One growable buffer (a FrameEncoder's), not a copy per write: at ~180k SET/s the per-turn copies
// were thousands of small Buffers a second living until the next fsync, and V8's full collections
// spent tens of ms sweeping their ArrayBuffers (bench/RESULTS.md).

import { FrameEncoder } from './record-codec.ts';

/** Above this, a buffer that has emptied is given back (a burst should not pin its peak). */
const KEEP_BYTES = 4 * 1024 * 1024;

export class UnsyncedTail {
  private bytes = new FrameEncoder();

  /** Bytes held. */
  get length(): number {
    return this.bytes.length;
  }

  append(written: Uint8Array): void {
    this.bytes.reserve(written.byteLength);
    this.bytes.buffer.set(written, this.bytes.length);
    this.bytes.length += written.byteLength;
  }

  /** Forgets the first `count` bytes: an fsync made them durable. */
  drop(count: number): void {
    const bytes = this.bytes;
    if (count >= bytes.length) {
      if (bytes.buffer.byteLength > KEEP_BYTES) this.bytes = new FrameEncoder();
      else bytes.clear();
      return;
    }
    bytes.buffer.copyWithin(0, count, bytes.length);
    bytes.length -= count;
  }

  /** The bytes held, without copying; valid until the next append or drop. */
  view(): Buffer {
    return this.bytes.view();
  }
}
