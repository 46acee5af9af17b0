/** The typed error codes of api/contract.graphql; they cross every service boundary as-is. */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'INSUFFICIENT_CAPACITY',
  'QUOTA_EXCEEDED',
  'UNAVAILABLE',
] as const;

/** INTERNAL: a fault the caller cannot act on; its details stay in the answering service's log. */
export type ErrorCode = (typeof ERROR_CODES)[number] | 'INTERNAL';

/** An error as it travels in a reply: a code and a message, never a stack trace. */
export interface WireError {
  code: ErrorCode;
  message: string;
  /** For BAD_USER_INPUT: the input field at fault, e.g. `input.name`. */
  field?: string;
}
