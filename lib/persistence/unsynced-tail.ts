// The bytes an append-only file holds past its last successful fsync, kept so that a failed fsync
// (after which the kernel may have dropped them) can be answered by writing them again.
//
// One growable buffer, not a copy per write: at ~180k SET/s the per-turn copies were thousands of
// small Buffers a second living until the next fsync, and V8's full collections spent tens of ms
// sweeping their ArrayBuffers (bench/RESULTS.md).

const INITIAL_BYTES = 64 * 1024;
/** Above this, a buffer that has emptied is given back (a burst should not pin its peak). */
const KEEP_BYTES = 4 * 1024 * 1024;

export class UnsyncedTail {
  private buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  /** Bytes held. */
  length = 0;

  append(bytes: Uint8Array): void {
    const needed = this.length + bytes.byteLength;
    if (needed > this.buffer.byteLength) {
      let size = this.buffer.byteLength * 2;
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length = needed;
  }

  /** Forgets the first `count` bytes: an fsync made them durable. */
  drop(count: number): void {
    if (count >= this.length) {
      this.length = 0;
      if (this.buffer.byteLength > KEEP_BYTES) this.buffer = Buffer.allocUnsafe(INITIAL_BYTES);
      return;
    }
    this.buffer.copyWithin(0, count, this.length);
    this.length -= count;
  }

  /** The bytes held, without copying; valid until the next append or drop. */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
