import { sideOf } from '../contract/protocol/ids';

export {
  CLIENT_ID_PATTERN as DEVICE_ID_PATTERN,
  conversationIdOf,
  USER_ID_PATTERN,
} from '../contract/protocol/ids';

/** The other participant of one of the user's conversations ("" when the conversation is not theirs). */
export function peerOf(conversationId: string, userId: string): string {
  return sideOf(conversationId, userId)?.peer ?? '';
}

/**
 * A random id for messages, requests and devices. crypto.getRandomValues works in insecure contexts too
 * (a phone opening http://<laptop-ip>:3001), unlike crypto.randomUUID.
 */
export function randomId(bytes = 12): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (value) => value.toString(36).padStart(2, '0')).join('');
}
