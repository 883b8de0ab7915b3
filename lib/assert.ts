// assert() guards emberkv's own invariants, never user input: a failure is a bug in emberkv and
// stops loudly instead of writing bad data. One condition per call, so the message says which.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(`emberkv invariant broken: ${message}`);
}
