// Turning the time arguments of SET, GETEX and the EXPIRE family into absolute expiry times, with
// Redis's validation. Records always carry the absolute time (PXAT / PEXPIREAT), so replaying a
// log later gives the same expiry as the original write.

import { ReplyError } from '../errors.ts';

const INT64_MAX = 9223372036854775807;
const INT64_MIN = -9223372036854775808;

export const MS_PER_SECOND = 1000;

export function invalidExpireTime(command: string): ReplyError {
  return new ReplyError(`ERR invalid expire time in '${command}' command`);
}

/**
 * SET/GETEX's EX PX EXAT PXAT: `amount` in `unitMs` (1000 for seconds), relative to `now` or
 * absolute. Must be positive, as Redis's getExpireMillisecondsOrReply requires.
 */
export function optionExpireAt(amount: number, unitMs: number, relative: boolean, now: number, command: string): number {
  if (!Number.isInteger(amount) || amount <= 0 || amount > INT64_MAX / unitMs) throw invalidExpireTime(command);
  let at = amount * unitMs;
  if (relative) at += now;
  if (at > INT64_MAX) throw invalidExpireTime(command);
  return at;
}

/**
 * EXPIRE PEXPIRE EXPIREAT PEXPIREAT: any int64 is allowed (negative means already expired), only
 * overflow is an error, as in Redis's expireGenericCommand.
 */
export function commandExpireAt(amount: number, unitMs: number, baseMs: number, command: string): number {
  if (!Number.isInteger(amount)) throw invalidExpireTime(command);
  if (amount > INT64_MAX / unitMs || amount < INT64_MIN / unitMs) throw invalidExpireTime(command);
  const at = amount * unitMs;
  if (at > INT64_MAX - baseMs) throw invalidExpireTime(command);
  return at + baseMs;
}
