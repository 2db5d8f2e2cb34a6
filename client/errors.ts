import type { ErrorCode } from '../contract/protocol/frames';

/**
 * Why a request failed: a server error code from docs/protocol.md, or one of the client's own:
 * TIMEOUT (no reply in time), DISCONNECTED (the socket was not open or closed before the reply),
 * CLOSED (the client was closed for good), UPLOAD_FAILED (the bucket refused a media upload or could
 * not be reached), CANCELLED (the app cancelled a media message while its file uploaded).
 */
export type ClientErrorCode =
  | ErrorCode
  | 'TIMEOUT'
  | 'DISCONNECTED'
  | 'CLOSED'
  | 'UPLOAD_FAILED'
  | 'CANCELLED';

export class ChatClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** RATE_LIMITED: the server's hint of when the same frame will be accepted. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatClientError';
  }
}

/** Codes after which the same frame may succeed later; the protocol asks to retry these. */
const RETRYABLE: ReadonlySet<ClientErrorCode> = new Set([
  'BUSY',
  'INTERNAL',
  'RATE_LIMITED',
  // The server closes the connection after it; the retry goes out on the next one, with a fresh token.
  'TOKEN_EXPIRED',
  'TIMEOUT',
]);

export function isRetryable(error: unknown): boolean {
  return error instanceof ChatClientError && RETRYABLE.has(error.code);
}

/** The connection went away: the work is not refused, it waits for the next connection. */
export function isDisconnected(error: unknown): boolean {
  return error instanceof ChatClientError && error.code === 'DISCONNECTED';
}
