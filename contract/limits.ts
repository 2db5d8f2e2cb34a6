/** Limits shared by the cloud stack, the local runtime, the handlers and the clients. */
export const LIMITS = {
  /** API Gateway: largest WebSocket message; larger closes the socket with 1009. */
  maxMessageBytes: 128 * 1024,
  /** API Gateway: largest single WebSocket frame. */
  maxFrameBytes: 32 * 1024,
  /** API Gateway: a connection with no traffic for this long is closed. */
  idleTimeoutMs: 10 * 60 * 1000,
  /** API Gateway: no connection lives longer than this. */
  maxConnectionMs: 2 * 60 * 60 * 1000,
  /** API Gateway: an integration that has not answered by then fails. */
  integrationTimeoutMs: 29 * 1000,
  /** UTF-16 code units (JavaScript's `length`) in one text message. */
  maxTextLength: 4000,
  /**
   * A push to another connection that has not gone through by then is given up, and that connection is
   * closed as gone: a reader that stopped reading must not hold up anyone else's sends.
   */
  pushTimeoutMs: 2000,
  /** Characters in a client-chosen message or request id. */
  maxIdLength: 64,
  /**
   * Clients send a heartbeat this often: half of API Gateway's idle timeout, so a heartbeat that comes
   * late still keeps the socket open. Rarer heartbeats are most of what a connected hour costs less.
   */
  heartbeatIntervalMs: 5 * 60 * 1000,
  /**
   * A connection with no heartbeat for this long counts as gone: the interval and two minutes more, for
   * timers that run late (browsers throttle them in background tabs) and a slow round trip.
   */
  connectionTtlMs: 7 * 60 * 1000,
  /**
   * Live connections of one user; one more is refused at $connect (429). It also bounds the profile
   * item, which keeps a copy of each live connection (about 100 bytes each), far below 400 KB.
   */
  maxConnectionsPerUser: 10,
  /** Distinct devices (deviceId) of one user connected at once, as a phone and four linked devices. */
  maxDevicesPerUser: 5,
  /** Users one user may block; the list lives on their profile item. */
  maxBlockedUsers: 1000,
  /** Users in one presence request. */
  maxPresenceUsers: 50,
  /** `getPresence` subscribes the asker to those users' presence events for this long. */
  presenceWatchMs: 10 * 60 * 1000,
  /** Conversations in one page of the list. */
  maxConversationsPage: 50,
  /** Messages in one page of history; a page also stops before its frame would pass maxReplyBytes. */
  maxMessagesPage: 100,
  /** A reply or a pushed batch stays below API Gateway's 128 KB message limit, with room to spare. */
  maxReplyBytes: 96 * 1024,
  /** A typing indicator expires by itself after this long without a new one. */
  typingTtlMs: 6 * 1000,
  /** At most one typing frame per connection and peer in this interval is passed on. */
  typingMinIntervalMs: 1000,
  /** An upload slot (a presigned POST) can be used for this long after it is handed out. */
  uploadSlotTtlMs: 5 * 60 * 1000,
  /** A presigned GET of a media object works for this long; `getMediaUrl` hands out a fresh one. */
  mediaUrlTtlMs: 15 * 60 * 1000,
  /**
   * A message can name an upload slot until this long after the slot was handed out: a large video may
   * still be uploading when the POST's own expiry (uploadSlotTtlMs) passes, since S3 checks it at the start.
   */
  uploadClaimMs: 60 * 60 * 1000,
  /** Characters of a media message's inline preview: a `data:` URL of a tiny JPEG, PNG or WebP. */
  maxPreviewLength: 6 * 1024,
  /** Characters of an uploaded file's name. */
  maxFileNameLength: 200,
  /** API Gateway: new connections per second per account and region (a raisable quota). */
  newConnectionsPerSecond: 500,
  /** Stage throttling. */
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 2000,
} as const;

export type Limits = { -readonly [K in keyof typeof LIMITS]: number };
