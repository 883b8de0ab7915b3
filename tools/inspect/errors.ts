// The inspector's exit statuses and the one error it reports: a line saying what happened and
// what to do (main prints it), never a stack trace.

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

/** A failure to report in one line: what happened, what to do. Never a stack trace. */
export class InspectError extends Error {
  constructor(
    readonly what: string,
    readonly todo: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(`${what} — ${todo}`);
  }
}
