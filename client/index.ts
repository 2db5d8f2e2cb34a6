/**
 * The chat client library: one typed implementation of docs/protocol.md for the web app, the tests
 * and the benchmark. In Node:
 *
 *   import WebSocket from 'ws';
 *   const client = new ChatClient({ url, userId: 'alice', deviceId: 'laptop', getToken, WebSocket });
 *   client.on('message', (message) => console.log(message.from, message.text));
 *   await client.connect();
 *   const ack = await client.sendMessage('bob', 'Hello Bob');
 *   client.close();
 *
 * In a browser pass `WebSocket: globalThis.WebSocket`.
 */
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff';
export {
  ChatClient,
  type ChatClientOptions,
  type ClientEvents,
  type ConnectionState,
  type ReplyOf,
  type RequestAction,
  type RequestFields,
  type SocketConstructor,
  type SocketLike,
  type StateChange,
} from './chat-client';
export { ChatClientError, type ClientErrorCode, isRetryable } from './errors';
export { conversationIdOf, DEVICE_ID_PATTERN, peerOf, randomId, USER_ID_PATTERN } from './ids';
export { MessageStore, type Origin, statusFor } from './message-store';
export type { Ack, OutgoingMessage } from './outbox';
