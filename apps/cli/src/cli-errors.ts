import { CommanderError } from 'commander';

/** What `awan` exits with, so a script can tell its own mistake from the API's answer and from a server it cannot reach. */
export const EXIT = {
  ok: 0,
  /** The command ran but did not get where it was going: an instance waited on failed (ERROR) or took too long. */
  failed: 1,
  usage: 2,
  api: 3,
  unreachable: 4,
} as const;

/** The user's own mistake: a missing or malformed option, an unknown context, no login yet. */
export class UsageError extends Error {}

/** The API refused: its contract code (UNAUTHENTICATED, NOT_FOUND, BAD_USER_INPUT…) and, for BAD_USER_INPUT, the input field. */
export class ApiError extends Error {
  /** The command's option that gave `field`, where it says. */
  option?: string;

  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** No Awan API answered at `url`: nothing listens there, the name does not resolve, it timed out, or something else answers. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the Awan API at ${url}: ${reason}`);
  }
}

/** The command was carried out but its outcome is not the one asked for (an instance ended in ERROR, a wait ran out). */
export class OperationFailed extends Error {}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help, help and --version end commander's parse with an "error" of exit code 0; any other is a usage mistake
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof ApiError) return EXIT.api;
  if (error instanceof UnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}

/**
 * The line a user reads for an error (commander prints its own). An API error names its contract
 * code, and for bad input the field, with the command's option for it where the command says which.
 */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const field = error.field;
    const message = field && !error.message.startsWith(field) ? `${field}: ${error.message}` : error.message;
    return `error: ${error.code}: ${message}${error.option ? ` (option ${error.option})` : ''}`;
  }
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
