// The bytes an append-only file holds past its last successful fsync, kept so that a failed fsync
// (after which the kernel may have dropped them) can be answered by writing them again.
//
// Kept in fixed 1 MiB chunks, reused through a small pool. An fsync drops whole chunks from the
// front and nothing is moved. Two earlier layouts cost the write path:
//   - a Buffer copy per write: at ~180k SET/s, thousands of small Buffers a second lived until the
//     next fsync, and V8's full collections spent tens of ms sweeping their ArrayBuffers;
//   - one growable buffer, moved down after each fsync and regrown from scratch: everysec SET ran
//     at 1.09-1.27 M/s against 1.55-1.62 M/s with the same bytes copied into one reused buffer.
// The file's own bytes are never read back from here except on that failure path (view()).
// Allocating the chunks was still the cost: a second of a heavy write load is ~50 MB of fresh
// memory, so the AOF fsyncs early once AOF_UNSYNCED_BYTES_MAX wait (aof.ts) and a few chunks cycle.

/** Bytes per chunk. */
const CHUNK_BYTES = 1024 * 1024;
/** Empty chunks kept for reuse; past this they are let go, so a burst does not pin its peak. */
const SPARE_CHUNKS_MAX = 16;

export class UnsyncedTail {
  /** Oldest first; the last one is being filled. */
  private chunks: Buffer[] = [];
  /** Bytes of chunks[0] already dropped. */
  private head = 0;
  /** Bytes used in the last chunk. */
  private fill = 0;
  private readonly spare: Buffer[] = [];
  /** Bytes held. */
  length = 0;

  append(written: Uint8Array): void {
    let from = 0;
    while (from < written.byteLength) {
      if (this.chunks.length === 0 || this.fill === CHUNK_BYTES) {
        this.chunks.push(this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES));
        this.fill = 0;
      }
      const chunk = this.chunks[this.chunks.length - 1];
      const count = Math.min(CHUNK_BYTES - this.fill, written.byteLength - from);
      chunk.set(written.subarray(from, from + count), this.fill);
      this.fill += count;
      from += count;
    }
    this.length += written.byteLength;
  }

  /** Forgets the first `count` bytes: an fsync made them durable. */
  drop(count: number): void {
    let remaining = Math.min(count, this.length);
    this.length -= remaining;
    while (remaining > 0) {
      const end = this.chunks.length === 1 ? this.fill : CHUNK_BYTES;
      const held = end - this.head;
      if (remaining < held) {
        this.head += remaining;
        return;
      }
      remaining -= held;
      const chunk = this.chunks.shift() as Buffer;
      if (this.spare.length < SPARE_CHUNKS_MAX) this.spare.push(chunk);
      this.head = 0;
      if (this.chunks.length === 0) this.fill = 0;
    }
  }

  /** The bytes held, in order, as one new Buffer (the failed-fsync repair path). */
  view(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    let at = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const start = i === 0 ? this.head : 0;
      const end = i === this.chunks.length - 1 ? this.fill : CHUNK_BYTES;
      out.set(this.chunks[i].subarray(start, end), at);
      at += end - start;
    }
    return out;
  }
}
