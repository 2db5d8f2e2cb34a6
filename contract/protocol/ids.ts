import { LIMITS } from '../limits';

/**
 * The id rules of docs/protocol.md as plain values, free of zod, so that the browser client, the
 * benchmark and the server share them instead of repeating them. Every conversation-id rule lives here.
 */

/** A user id: a username in lower case. */
export const USER_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** Ids a client chooses: messageId, requestId, deviceId. */
export const CLIENT_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${LIMITS.maxIdLength}}$`);

/** The form of a conversation id; `participantsOf` also checks that the two users are in order. */
export const CONVERSATION_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]*:[a-z0-9][a-z0-9_.-]*$/;

/** Two user ids of at most 32 characters and the ":" between them. */
export const MAX_CONVERSATION_ID_LENGTH = 65;

/** A 1:1 conversation is named by its two participants, sorted and joined by ":" (never in a user id). */
export function conversationIdOf(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** The two participants, lower id first, or undefined when the id is not a well-formed conversation id. */
export function participantsOf(conversationId: string): { lo: string; hi: string } | undefined {
  const parts = conversationId.split(':');
  const [lo, hi] = parts;
  if (parts.length !== 2 || lo === undefined || hi === undefined || lo === '' || !(lo < hi)) return undefined;
  return { lo, hi };
}

/** Which side of the conversation a user is on, or undefined when the conversation is not theirs. */
export function sideOf(
  conversationId: string,
  userId: string,
): { side: 'lo' | 'hi'; peer: string } | undefined {
  const participants = participantsOf(conversationId);
  if (participants?.lo === userId) return { side: 'lo', peer: participants.hi };
  if (participants?.hi === userId) return { side: 'hi', peer: participants.lo };
  return undefined;
}

/**
 * The device id of a connection opened without one: a device of its own, new on every connect, which
 * therefore can keep no cursor and no push subscription.
 */
export function connectionDeviceId(connectionId: string): string {
  return `c-${connectionId.replace(/[^A-Za-z0-9_-]/g, '')}`;
}
