// Every size and count bound emberkv enforces, in one place, with how they relate. Checked once at
// load (below): a bound that could not hold is a bug caught at startup, not in production.

import { assert } from './assert.ts';
import { FRAME_PAYLOAD_BYTES_MAX } from './persistence/format.ts';

/**
 * Elements in one hash or sorted set: a snapshot's undo log for one (slot-map.ts) is a JavaScript
 * Map, which holds at most 2^24 entries (V8 throws past it). Keys in one store: the same bound, so
 * that one number documents both. Writes past them are refused with a typed error rather than a
 * RangeError from inside the engine.
 */
export const KEYS_MAX = 16_777_216;
export const ELEMENTS_MAX = 16_777_216;

export const KEYS_MAX_MESSAGE = `OOM emberkv holds at most ${KEYS_MAX} keys in one store; split the data across stores`;
export const ELEMENTS_MAX_MESSAGE = `OOM emberkv holds at most ${ELEMENTS_MAX} fields or members in one hash or sorted set; split the value`;

/** Redis's proto-max-bulk-len default: the largest string APPEND or SETRANGE may build. */
export const STRING_BYTES_MAX = 512 * 1024 * 1024;

export { FRAME_PAYLOAD_BYTES_MAX };

// A record carrying a largest string value must still fit one log frame.
assert(STRING_BYTES_MAX + 1024 < FRAME_PAYLOAD_BYTES_MAX, 'a largest string value fits in one frame');
