import type { ErrorCode } from './frames';

/** A refusal the client can act on: it becomes an error frame with a stable code. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** RATE_LIMITED: how long until the same frame would be accepted. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}
