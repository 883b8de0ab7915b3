// Value codecs: how a cached value of type T becomes the payload of an entry and back. The store
// holds strings and Uint8Arrays, so a codec's payload is one of those; the entry header (entry.ts)
// is written in front of it in the same kind.
//
//   stringCodec()    strings as they are                          payload: string
//   bytesCodec()     Uint8Arrays as they are                      payload: bytes
//   jsonCodec<T>()   JSON values (the default)                    payload: string (readable in
//                                                                 the AOF, and V8's JSON.parse is
//                                                                 the fastest decoder in pure JS)
//   msgpackCodec<T>() MessagePack via msgpackr's pure-JS build    payload: bytes (smaller; keeps
//                                                                 Dates, binary data, 64-bit
//                                                                 bigints, undefined in objects)
//
// decode() is handed exactly what encode() returned (the cache checks the entry header first), but
// the data may come from an earlier run with a different codec, so each decoder checks the kind it
// was given and throws on anything else; the cache turns that into a CacheEntryError.

// Only this entry point: under Node it resolves to msgpackr's pure-JS build, where the package's
// main entry would try to load an optional native addon. emberkv must load in Electron unchanged.
import { Packr, Unpackr } from 'msgpackr/pack';

export interface Codec<T> {
  /** Shown in error messages: 'string', 'bytes', 'json', 'msgpack', or your own. */
  readonly name: string;
  /** The payload to store. Throws TypeError for a value the codec cannot represent. */
  encode(value: T): string | Uint8Array;
  /** The value back. Throws for a payload this codec did not write. */
  decode(payload: string | Uint8Array): T;
}

const STRING_CODEC: Codec<string> = {
  name: 'string',
  encode(value) {
    if (typeof value !== 'string') throw new TypeError(`the string codec stores strings, got ${typeof value}`);
    return value;
  },
  decode(payload) {
    if (typeof payload !== 'string') throw new TypeError('the payload is bytes, not a string');
    return payload;
  },
};

const BYTES_CODEC: Codec<Uint8Array> = {
  name: 'bytes',
  encode(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError(`the bytes codec stores Uint8Arrays, got ${typeof value}`);
    return value;
  },
  decode(payload) {
    if (typeof payload === 'string') throw new TypeError('the payload is a string, not bytes');
    return payload;
  },
};

const JSON_CODEC: Codec<unknown> = {
  name: 'json',
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`the json codec cannot store ${typeof value}`);
    return text;
  },
  decode(payload) {
    if (typeof payload !== 'string') throw new TypeError('the payload is bytes, not JSON text');
    return JSON.parse(payload) as unknown;
  },
};

/** Strings, stored as they are. */
export function stringCodec(): Codec<string> {
  return STRING_CODEC;
}

/** Uint8Arrays, stored as they are; get() returns a private copy each time. */
export function bytesCodec(): Codec<Uint8Array> {
  return BYTES_CODEC;
}

/**
 * JSON values: what JSON.stringify keeps and JSON.parse gives back (no Dates, Maps, undefined
 * properties, bigints). The default codec. T is your promise about the shape; nothing checks it.
 */
export function jsonCodec<T>(): Codec<T> {
  return JSON_CODEC as Codec<T>;
}

/**
 * MessagePack with msgpackr: plain maps (no msgpackr records, no extra types), so payloads are
 * ordinary MessagePack. Keeps what JSON loses: Dates (the timestamp extension), binary data
 * (Uint8Arrays come back as Buffers), bigints within 64 bits, undefined inside objects. Maps come
 * back as plain objects and Sets as arrays, as with JSON. T is your promise about the shape;
 * nothing checks it.
 */
export function msgpackCodec<T>(): Codec<T> {
  const packer = new Packr({ useRecords: false });
  const unpacker = new Unpackr({ useRecords: false, mapsAsObjects: true });
  const mapUnpacker = new Unpackr({ useRecords: false, mapsAsObjects: false });
  return {
    name: 'msgpack',
    encode(value) {
      if (value === undefined) throw new TypeError('the msgpack codec cannot store undefined at the top level');
      // pack() returns a view into the packer's shared scratch buffer; a copy of our own keeps a
      // decoded Buffer field from pinning (or seeing) that buffer.
      return new Uint8Array(packer.pack(value));
    },
    decode(payload) {
      if (typeof payload === 'string') throw new TypeError('the payload is a string, not MessagePack');
      // msgpackr renames a "__proto__" key to "__proto_" when it builds an object (its guard
      // against prototype pollution), which would change the value. Payloads holding those bytes
      // anywhere (rare) decode to Maps instead, made into objects with an own "__proto__" key.
      const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      if (bytes.indexOf(PROTO_KEY) === -1) return unpacker.unpack(payload) as T;
      return mapsToObjects(mapUnpacker.unpack(payload)) as T;
    },
  };
}

const PROTO_KEY = Buffer.from('__proto__');

/** Plain objects for the Maps in a decoded value, keys as strings (as mapsAsObjects makes them). */
function mapsToObjects(value: unknown): unknown {
  if (value instanceof Map) {
    // Object.fromEntries defines own properties, so "__proto__" stays a key, not the prototype.
    return Object.fromEntries(Array.from(value, ([key, item]) => [String(key), mapsToObjects(item)]));
  }
  if (Array.isArray(value)) return value.map(mapsToObjects);
  return value;
}
