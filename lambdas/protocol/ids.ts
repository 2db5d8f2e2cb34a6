import { LIMITS } from '../contract/limits';

/**
 * The id rules of docs/protocol.md as plain values, free of zod, so that the browser client shares
 * them with the server instead of repeating them.
 */

/** A user id: a username in lower case. */
export const USER_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** Ids a client chooses: messageId, requestId, deviceId. */
export const CLIENT_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${LIMITS.maxIdLength}}$`);

/** A 1:1 conversation is named by its two participants, sorted and joined by ":" (never in a user id). */
export function conversationIdOf(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}
