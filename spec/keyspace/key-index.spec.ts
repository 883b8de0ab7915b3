// Tests for the two open-addressing tables, lib/keyspace/key-index.ts (the keyspace's, pairs of
// [hash, entry]) and lib/keyspace/slot-table.ts (hashes' and sorted sets', pairs of [hash, slot]),
// against a Map model. Keys come from a small alphabet so that a 16-pair table has long clusters,
// wraps around its end, grows and shrinks: the cases where linear probing and back-shift deletion
// go wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { KeyIndex } from '../../lib/keyspace/key-index.ts';
import { SlotTable, hashKey } from '../../lib/keyspace/slot-table.ts';
import { seededRandom } from '../support/seeded-random.ts';

class Item {
  slot = -1;
  constructor(readonly key: string) {}
}

interface Model {
  items: Map<string, Item>;
}

class Insert implements fc.Command<Model, KeyIndex<Item>> {
  constructor(readonly key: string) {}
  check = (): boolean => true;
  run(model: Model, index: KeyIndex<Item>): void {
    const item = new Item(this.key);
    const inserted = index.insert(item);
    assert.is(inserted, !model.items.has(this.key), `insert ${this.key}`);
    if (inserted) model.items.set(this.key, item);
    verify(model, index);
  }
  toString = (): string => `insert(${this.key})`;
}

class Delete implements fc.Command<Model, KeyIndex<Item>> {
  constructor(readonly key: string) {}
  check = (model: Readonly<Model>): boolean => model.items.has(this.key);
  run(model: Model, index: KeyIndex<Item>): void {
    index.delete(model.items.get(this.key)!);
    model.items.delete(this.key);
    verify(model, index);
  }
  toString = (): string => `delete(${this.key})`;
}

class Get implements fc.Command<Model, KeyIndex<Item>> {
  constructor(readonly key: string) {}
  check = (): boolean => true;
  run(model: Model, index: KeyIndex<Item>): void {
    // A key equal in content but not the same string object must be found too.
    assert.is(index.get(this.key.split('').join('')), model.items.get(this.key));
  }
  toString = (): string => `get(${this.key})`;
}

/** Every key of the model is found as its own item in its own slot, and the sizes agree. */
function verify(model: Model, index: KeyIndex<Item>): void {
  assert.is(index.size, model.items.size);
  for (const [key, item] of model.items) {
    assert.is(index.get(key), item, `get ${key} after the change`);
    assert.is(index.at(item.slot), item, `slot of ${key}`);
  }
  assert.is(index.slots.filter((item) => item !== null).length, model.items.size, 'live slots');
  assert.ok(index.size <= index.capacity * 0.7, `load ${index.size}/${index.capacity}`);
}

const keyArb = fc.oneof(
  fc.stringMatching(/^[ab]{0,6}$/),
  fc.integer({ min: 0, max: 200 }).map((n) => `k${n}`),
  fc.string({ unit: 'binary', maxLength: 4 }),
);

test('the index agrees with a Map through inserts, deletes and lookups', () => {
  const commands = [
    keyArb.map((key) => new Insert(key)),
    keyArb.map((key) => new Insert(key)),
    keyArb.map((key) => new Delete(key)),
    keyArb.map((key) => new Get(key)),
  ];
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 400 }), (cmds) => {
      fc.modelRun(() => ({ model: { items: new Map() }, real: new KeyIndex<Item>() }), cmds);
    }),
    { numRuns: 300 },
  );
});

/** The owner side of a SlotTable, as SlotMap has it: keys by slot, found through the table. */
class SlotOwner {
  readonly table = new SlotTable();
  readonly keys: Array<string | undefined> = [];
  private readonly free: number[] = [];

  slotOf(key: string): number {
    const h = hashKey(key);
    for (let at = this.table.first(h); at !== -1; at = this.table.next(at, h)) {
      const slot = this.table.slotAt(at);
      if (this.keys[slot] === key) return slot;
    }
    return -1;
  }

  add(key: string): number {
    const slot = this.free.pop() ?? this.keys.length;
    this.keys[slot] = key;
    this.table.insert(hashKey(key), slot);
    return slot;
  }

  remove(key: string, slot: number): void {
    this.table.remove(hashKey(key), slot);
    this.keys[slot] = undefined;
    this.free.push(slot);
  }
}

/** A table under test, seen through what a churn needs: add, remove, find by key. */
interface ChurnTarget<H> {
  add(key: string): H;
  remove(key: string, handle: H): void;
  find(key: string): H | undefined;
  readonly size: number;
  readonly capacity: number;
}

/**
 * Keeps between `low` and `high` keys of `pool` while 20,000 random steps add and remove them:
 * 7-11 keys in 16 pairs give long clusters, many across the table's end; the larger ranges make
 * the table double and halve. Each remove is checked against the whole model, each step's key too.
 */
function churn<H>(make: () => ChurnTarget<H>): void {
  for (const [low, high, pool] of [[7, 11, 40], [40, 90, 300], [700, 1100, 4000]]) {
    const seed = (Math.random() * 2 ** 32) >>> 0;
    const random = seededRandom(seed);
    const target = make();
    const model = new Map<string, H>();
    for (let step = 0; step < 20_000; step++) {
      const key = `k${Math.floor(random() * pool)}`;
      const present = model.get(key);
      const grow = model.size < low || (model.size < high && random() < 0.5);
      if (grow && present === undefined) {
        model.set(key, target.add(key));
      } else if (!grow && present !== undefined) {
        target.remove(key, present);
        model.delete(key);
        for (const [other, handle] of model) assert.is(target.find(other), handle, `seed ${seed}: ${other} after removing ${key}`);
      }
      assert.is(target.find(key), model.get(key), `seed ${seed}: find ${key}`);
      assert.is(target.size, model.size);
      assert.ok(target.size <= target.capacity * 0.7, `seed ${seed}: load`);
    }
  }
}

test('KeyIndex under churn: clusters that wrap around the end survive deletes', () => {
  churn(() => {
    const index = new KeyIndex<Item>();
    return {
      add(key) {
        const item = new Item(key);
        assert.ok(index.insert(item), `insert ${key}`);
        return item;
      },
      remove: (_key, item) => index.delete(item),
      find: (key) => index.get(key),
      get size() {
        return index.size;
      },
      get capacity() {
        return index.capacity;
      },
    };
  });
});

test('SlotTable under churn: every present key finds its slot, every absent one none', () => {
  churn(() => {
    const owner = new SlotOwner();
    return {
      add: (key) => owner.add(key),
      remove: (key, slot) => owner.remove(key, slot),
      find: (key) => {
        const slot = owner.slotOf(key);
        return slot === -1 ? undefined : slot;
      },
      get size() {
        return owner.table.size;
      },
      get capacity() {
        return owner.table.capacity;
      },
    };
  });
});

test('the table grows with its keys and gives memory back when they go', () => {
  const index = new KeyIndex<Item>();
  const items = Array.from({ length: 10_000 }, (_, i) => new Item(`key:${i}`));
  for (const item of items) assert.ok(index.insert(item));
  assert.ok(index.capacity >= 10_000 / 0.7 && index.capacity <= (2 * 10_000) / 0.7, `capacity ${index.capacity}`);
  assert.not.ok(index.insert(new Item('key:77')), 'a second item with a present key is refused');
  assert.is(index.get('key:77'), items[77], 'and the first one stays');
  for (const item of items.slice(10)) index.delete(item);
  assert.is(index.size, 10);
  assert.ok(index.capacity <= 128, `capacity ${index.capacity} after deleting all but 10`);
  for (const item of items.slice(0, 10)) assert.is(index.get(item.key), item);
  assert.is(index.get('key:10'), undefined);
});

test('reserve grows the table once to what inserting one by one reaches', () => {
  const grown = new KeyIndex<Item>();
  const reserved = new KeyIndex<Item>();
  reserved.reserve(10_000);
  const capacity = reserved.capacity;
  for (let i = 0; i < 10_000; i++) {
    assert.ok(grown.insert(new Item(`key:${i}`)));
    assert.ok(reserved.insert(new Item(`key:${i}`)));
  }
  assert.is(reserved.capacity, capacity, 'no growth after the reservation');
  assert.is(reserved.capacity, grown.capacity);
  for (let i = 0; i < 10_000; i += 97) assert.is(reserved.get(`key:${i}`)?.key, `key:${i}`);
  reserved.reserve(0);
  assert.is(reserved.capacity, capacity, 'reserving nothing more changes nothing');
});

test('removing what is not there is a loud invariant error, not a hang', () => {
  const index = new KeyIndex<Item>();
  const item = new Item('a');
  index.insert(item);
  index.delete(item);
  assert.throws(() => index.delete(item), /KeyIndex.delete of a key not in the index/);
  const owner = new SlotOwner();
  owner.add('b');
  assert.throws(() => owner.table.remove(hashKey('c'), 7), /SlotTable.remove of a pair not in the table/);
});

test('hashes are 32-bit integers, never 0, and spread over the low bits', () => {
  const homes = new Set<number>();
  for (let i = 0; i < 4096; i++) {
    const h = hashKey(`key:${i}`);
    assert.ok(h === (h | 0) && h !== 0, `hash ${h}`);
    homes.add(h & 4095);
  }
  assert.is.not(hashKey(''), 0);
  // 4096 keys into 4096 buckets: a uniform hash fills about 1 - 1/e of them.
  assert.ok(homes.size > 2400, `${homes.size} distinct home pairs of 4096`);
});

test.run();
