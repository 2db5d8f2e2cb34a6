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
 *
 * Media (photos, voice notes, audio, video) take one call; the file goes to the bucket, not over the socket:
 *
 *   const ack = await client.sendMedia({
 *     to: 'bob',
 *     file,                       // a Blob or File of a type in contract/media.ts
 *     caption: 'Look at this',    // optional, like kind, fileName, width, height, durationMs, preview
 *     signal: controller.signal,  // optional: abort to cancel while the file uploads
 *     onProgress: ({ loaded, total }) => console.log(loaded, total),
 *   });
 *
 * Received media carry a presigned `url` until `urlExpiresAt`; `client.refreshMediaUrl(conversationId, seq)`
 * gets a fresh one (our own messages, stored from their ack, have none until then). In Node uploads use
 * fetch; browsers pass `upload: xhrUploader(XMLHttpRequest)` for progress while the file is sent.
 *
 * Push notifications reach a device whose app is closed: the app subscribes with the Push API and hands
 * the subscription over with `client.setPushSubscription(subscription.toJSON())` (null removes it).
 * `client.muteConversation(conversationId, true)` stops pushes of one conversation; `client.isMuted(id)`.
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
export {
  bareContentType,
  type MediaInput,
  mediaUrlUsable,
  type OutgoingMedia,
  type Uploader,
  type UploadProgress,
  type UploadSlot,
} from './media';
export { MessageStore, type Origin, statusFor } from './message-store';
export type { Ack, OutgoingMessage } from './outbox';
export { fetchUploader, xhrUploader } from './upload';
