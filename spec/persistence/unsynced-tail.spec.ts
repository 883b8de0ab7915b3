// Tests for lib/persistence/unsynced-tail.ts: the bytes kept past the last fsync, in 1 MiB chunks,
// against a plain byte array. Appends of every size (a frame, a turn, several chunks at once) and
// drops that end inside a chunk, at its end, or past everything held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { UnsyncedTail } from '../../lib/persistence/unsynced-tail.ts';

const MIB = 1024 * 1024;

type Step = { kind: 'append'; bytes: number; fill: number } | { kind: 'drop'; fraction: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    bytes: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 64 * 1024 }), fc.integer({ min: MIB - 8, max: 3 * MIB })),
    fill: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('drop' as const), fraction: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
);

test('holds exactly the bytes appended and not yet dropped, in order', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
      const tail = new UnsyncedTail();
      let model = Buffer.alloc(0);
      let counter = 0;
      for (const step of steps) {
        if (step.kind === 'append') {
          // Distinct bytes per append, so a misplaced or repeated piece shows.
          const bytes = Buffer.alloc(step.bytes);
          for (let i = 0; i < bytes.length; i++) bytes[i] = (step.fill + counter + i * 7) & 0xff;
          counter++;
          tail.append(bytes);
          model = Buffer.concat([model, bytes]);
        } else {
          const count = Math.floor(model.length * step.fraction);
          tail.drop(count);
          model = model.subarray(Math.min(count, model.length));
        }
        assert.is(tail.length, model.length);
      }
      assert.ok(tail.view().equals(model), 'view() is the model');
    }),
    { numRuns: 60 },
  );
});

test('dropping everything empties it, and it fills again from the start', () => {
  const tail = new UnsyncedTail();
  tail.append(Buffer.alloc(2 * MIB + 5, 1));
  tail.drop(2 * MIB + 5);
  assert.is(tail.length, 0);
  assert.is(tail.view().length, 0);
  tail.append(Buffer.from('after'));
  assert.is(tail.view().toString(), 'after');
  tail.drop(10);
  assert.is(tail.length, 0);
});

test.run();
