// The value shapes shared by the whole API.

/**
 * A string value as stored: a JS string or raw bytes. A value comes back as the same kind it went in
 * (a `Uint8Array` stays bytes, a string stays a string), across restarts too.
 */
export type Value = string | Uint8Array;

/** One argument of `store.call`: numbers are sent as their decimal text, as a Redis client does. */
export type Arg = string | number | Uint8Array;

/**
 * A reply of `store.call`, in Redis's RESP2 shapes: integer -> number, simple or bulk string ->
 * string or the stored `Uint8Array`, nil -> null, array -> array. Errors are thrown as `ReplyError`.
 */
export type Reply = number | string | Uint8Array | null | Reply[];
