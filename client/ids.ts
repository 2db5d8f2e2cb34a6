export {
  CLIENT_ID_PATTERN as DEVICE_ID_PATTERN,
  conversationIdOf,
  USER_ID_PATTERN,
} from '../lambdas/protocol/ids';

/** The other participant of a conversation. */
export function peerOf(conversationId: string, userId: string): string {
  const [first = '', second = ''] = conversationId.split(':');
  return first === userId ? second : first;
}

/**
 * A random id for messages, requests and devices. crypto.getRandomValues works in insecure contexts too
 * (a phone opening http://<laptop-ip>:3001), unlike crypto.randomUUID.
 */
export function randomId(bytes = 12): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (value) => value.toString(36).padStart(2, '0')).join('');
}
