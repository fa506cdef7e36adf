/**
 * The closed set of error codes that cross the renderer ⇄ main boundary.
 * The UI maps each code to a message in the user's language (see renderer i18n `errors.*`).
 */
export const ERROR_CODES = [
  /** The method name is not in the contract. */
  'UNKNOWN_METHOD',
  /** The payload failed schema validation. */
  'INVALID_PAYLOAD',
  /** A message was larger than the transport allows. */
  'PAYLOAD_TOO_LARGE',
  /** The message was not valid JSON / not a valid envelope. */
  'MALFORMED_MESSAGE',
  /** The sender is not one of the app's own frames/origins. */
  'FORBIDDEN_SENDER',
  /** The requested item does not exist. */
  'NOT_FOUND',
  /** Reading or writing a file failed. */
  'IO_ERROR',
  /** Input data (image, file, script) is corrupt or unsupported. */
  'CORRUPT_INPUT',
  /** A required service (engine, backend) is not available right now. */
  'UNAVAILABLE',
  /** The action is not allowed now (e.g. recording before the customer consented). */
  'FORBIDDEN',
  /** What the agent typed is invalid (e.g. an ID number whose GB 11643 check digit is wrong); nothing was stored. */
  'INVALID_INPUT',
  /** The disk is full: what was written stays valid, nothing more can be stored. */
  'DISK_FULL',
  /** The backend refused the request (its own code is in the message). */
  'BACKEND_REFUSED',
  /** Unexpected failure inside main; details are in the log. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): { ok: false; error: AppError } => ({ ok: false, error: { code, message } });

/** An error that a service throws on purpose; the dispatcher turns it into `{ ok: false }` with its code. */
export class AppFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppFailure';
  }
}

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
