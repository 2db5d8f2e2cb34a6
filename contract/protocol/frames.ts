// zod/mini keeps each Lambda bundle small: the full zod API alone is larger than a whole handler should be.
import * as z from 'zod/mini';
import { LIMITS } from '../limits';
import { MEDIA_KINDS, type MediaContentType, type MediaKind } from '../media';
import { PUSH } from '../push';
import {
  CLIENT_ID_PATTERN,
  CONVERSATION_ID_PATTERN,
  MAX_CONVERSATION_ID_LENGTH,
  USER_ID_PATTERN,
} from './ids';

/**
 * The wire contract (docs/protocol.md describes it for people). Client frames are one discriminated
 * union on `action`; server events are one union on `type`. Types are inferred from the schemas.
 */

const id = z
  .string()
  .check(z.regex(CLIENT_ID_PATTERN, `1 to ${LIMITS.maxIdLength} letters, digits, "_" or "-"`));

export const userIdSchema = z
  .string()
  .check(
    z.regex(
      USER_ID_PATTERN,
      '1 to 32 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  );

const requestId = z.optional(id);

/**
 * Text that is well-formed UTF-16: JSON's `\ud800` escapes can carry a lone surrogate, which no UTF-8
 * encoder (nor DynamoDB) represents faithfully, so it is refused rather than stored mangled.
 */
const wellFormed = z.refine<string>(
  (value) => !/\p{Cs}/u.test(value),
  'ill-formed UTF-16 (a lone surrogate)',
);

/**
 * The text limit counts UTF-16 code units, as JavaScript's `length` and docs/protocol.md do; zod's
 * maxLength counts code points, which would let 4000 emoji (8000 units) through.
 */
const text = z.string().check(
  z.minLength(1),
  z.check((ctx) => {
    if (ctx.value.length <= LIMITS.maxTextLength) return;
    ctx.issues.push({
      code: 'too_big',
      origin: 'string',
      maximum: LIMITS.maxTextLength,
      inclusive: true,
      input: ctx.value,
      message: `at most ${LIMITS.maxTextLength} UTF-16 code units`,
    });
  }),
  wellFormed,
);

/** What the sender knows of an uploaded object; the server verifies the object itself. */
export const mediaPart = z.strictObject({
  /** The `uploadId` of the slot the object was uploaded through; a slot backs one message only. */
  uploadId: id,
  width: z.optional(z.int().check(z.minimum(1), z.maximum(100_000))),
  height: z.optional(z.int().check(z.minimum(1), z.maximum(100_000))),
  durationMs: z.optional(z.int().check(z.minimum(0), z.maximum(24 * 60 * 60 * 1000))),
  /** A tiny image the client made, shown blurred until the real one loads. */
  preview: z.optional(
    z
      .string()
      .check(
        z.maxLength(LIMITS.maxPreviewLength),
        z.regex(
          /^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$/,
          'a data: URL of a JPEG, PNG or WebP',
        ),
      ),
  ),
});

export const sendMessageFrame = z
  .strictObject({
    action: z.literal('sendMessage'),
    requestId,
    /** Chosen by the client, unique per message; a retry reuses it. */
    messageId: id,
    to: userIdSchema,
    /** The message, or a media message's caption. */
    text: z.optional(text),
    media: z.optional(mediaPart),
    /**
     * The conversation's highest sequence number this client holds, if any. When it is still the last,
     * the send is stored one DynamoDB round trip sooner; any other value only costs that round trip.
     */
    afterSeq: z.optional(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
  })
  .check(
    z.refine((frame) => frame.text !== undefined || frame.media !== undefined, {
      message: 'a message needs text, media or both',
      path: ['text'],
    }),
  );

export const requestUploadFrame = z.strictObject({
  action: z.literal('requestUpload'),
  requestId,
  kind: z.enum(MEDIA_KINDS),
  /** One of MEDIA_TYPES[kind], without parameters ("audio/webm", not "audio/webm;codecs=opus"). */
  contentType: z.string().check(z.maxLength(100)),
  /** Exact size of the file in bytes; the upload must not be larger. */
  size: z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
  fileName: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(LIMITS.maxFileNameLength),
        z.regex(/^[^/\\\p{Cc}]+$/u, 'a file name without path separators or control characters'),
        wellFormed,
      ),
  ),
});

export const heartbeatFrame = z.strictObject({
  action: z.literal('heartbeat'),
  requestId,
});

const conversationId = z
  .string()
  .check(
    z.maxLength(MAX_CONVERSATION_ID_LENGTH),
    z.regex(CONVERSATION_ID_PATTERN, 'a conversation id such as "alice:bob"'),
  );

const seq = z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER));
const pageSize = (max: number) => z.optional(z.int().check(z.minimum(1), z.maximum(max)));

export const receiptFrame = z.strictObject({
  action: z.literal('receipt'),
  requestId,
  conversationId,
  /** "delivered": this device has every message up to `upTo`. "seen": the user displayed them. */
  status: z.enum(['delivered', 'seen']),
  upTo: seq,
});

export const getPresenceFrame = z.strictObject({
  action: z.literal('getPresence'),
  requestId,
  users: z.array(userIdSchema).check(z.minLength(1), z.maxLength(LIMITS.maxPresenceUsers)),
});

export const typingFrame = z.strictObject({
  action: z.literal('typing'),
  requestId,
  to: userIdSchema,
  state: z.enum(['typing', 'stopped']),
});

export const lastSeenVisibility = z.enum(['everyone', 'contacts', 'nobody']);

export const updateSettingsFrame = z.strictObject({
  action: z.literal('updateSettings'),
  requestId,
  readReceipts: z.optional(z.boolean()),
  lastSeenVisibility: z.optional(lastSeenVisibility),
  pushPreviews: z.optional(z.boolean()),
});

export const listConversationsFrame = z.strictObject({
  action: z.literal('listConversations'),
  requestId,
  limit: pageSize(LIMITS.maxConversationsPage),
  /** `nextCursor` of the previous page. */
  cursor: z.optional(z.string().check(z.maxLength(200))),
});

export const getMessagesFrame = z
  .strictObject({
    action: z.literal('getMessages'),
    requestId,
    conversationId,
    /** Newest first, older than this sequence number (default: from the newest). */
    before: z.optional(seq),
    /** Oldest first, newer than this sequence number: a sync from a cursor. */
    after: z.optional(z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER))),
    limit: pageSize(LIMITS.maxMessagesPage),
  })
  .check(
    z.refine((frame) => frame.before === undefined || frame.after === undefined, {
      message: 'give "before" or "after", not both',
    }),
  );

export const syncFrame = z.strictObject({
  action: z.literal('sync'),
  requestId,
});

export const getMediaUrlFrame = z.strictObject({
  action: z.literal('getMediaUrl'),
  requestId,
  conversationId,
  seq,
});

export const hideConversationFrame = z.strictObject({
  action: z.literal('hideConversation'),
  requestId,
  conversationId,
});

/** Blocks or unblocks one user; the user id comes from the authorizer, the other from the frame. */
export const blockFrame = z.strictObject({
  action: z.literal('block'),
  requestId,
  userId: userIdSchema,
});

export const unblockFrame = z.strictObject({
  action: z.literal('unblock'),
  requestId,
  userId: userIdSchema,
});

export const signOutEverywhereFrame = z.strictObject({
  action: z.literal('signOutEverywhere'),
  requestId,
});

const base64url = (bytes: number) =>
  z
    .string()
    .check(
      z.regex(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}=*$`), `${bytes} bytes in base64url`),
      z.maxLength(Math.ceil(bytes / 3) * 4),
    );

/** A browser's `PushSubscription.toJSON()`, as the Push API gives it. */
export const pushSubscription = z.object({
  endpoint: z
    .string()
    .check(z.maxLength(PUSH.maxEndpointLength), z.regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL')),
  expirationTime: z.optional(z.nullable(z.number())),
  keys: z.object({
    /** The browser's P-256 public key, uncompressed (65 bytes). */
    p256dh: base64url(65),
    /** The authentication secret (16 bytes). */
    auth: base64url(16),
  }),
});

/** Stores this device's push subscription (replacing its earlier one), or removes it with null. */
export const setPushSubscriptionFrame = z.strictObject({
  action: z.literal('setPushSubscription'),
  requestId,
  subscription: z.nullable(pushSubscription),
});

/** A muted conversation is never pushed to your devices; messages still arrive over the socket. */
export const muteConversationFrame = z.strictObject({
  action: z.literal('muteConversation'),
  requestId,
  conversationId,
  muted: z.boolean(),
});

export const clientFrame = z.discriminatedUnion('action', [
  sendMessageFrame,
  heartbeatFrame,
  receiptFrame,
  getPresenceFrame,
  typingFrame,
  updateSettingsFrame,
  listConversationsFrame,
  getMessagesFrame,
  syncFrame,
  hideConversationFrame,
  requestUploadFrame,
  getMediaUrlFrame,
  signOutEverywhereFrame,
  blockFrame,
  unblockFrame,
  setPushSubscriptionFrame,
  muteConversationFrame,
]);

export type ClientFrame = z.infer<typeof clientFrame>;
export type ClientAction = ClientFrame['action'];
export type FrameOf<A extends ClientAction> = Extract<ClientFrame, { action: A }>;
export type LastSeenVisibility = z.infer<typeof lastSeenVisibility>;
export type PushSubscriptionJson = z.infer<typeof pushSubscription>;

export type ErrorCode =
  | 'BAD_JSON'
  | 'UNKNOWN_ACTION'
  | 'INVALID_FRAME'
  | 'TEXT_TOO_LONG'
  | 'UNKNOWN_RECIPIENT'
  | 'BLOCKED'
  | 'SELF_SEND'
  | 'MESSAGE_ID_REUSED'
  | 'NOT_A_PARTICIPANT'
  | 'UNKNOWN_CONVERSATION'
  | 'RECEIPT_AHEAD'
  | 'BAD_CURSOR'
  | 'MEDIA_TYPE_NOT_ALLOWED'
  | 'MEDIA_TOO_LARGE'
  | 'UPLOAD_NOT_FOUND'
  | 'UPLOAD_EXPIRED'
  | 'UPLOAD_USED'
  | 'UPLOAD_INVALID'
  | 'NO_MEDIA'
  | 'RATE_LIMITED'
  | 'TOKEN_EXPIRED'
  | 'PUSH_SERVICE_NOT_ALLOWED'
  | 'BUSY'
  | 'INTERNAL';

export interface ChatMessage {
  conversationId: string;
  seq: number;
  messageId: string;
  from: string;
  to: string;
  /** The text, or a media message's caption; "" for media without a caption. */
  text: string;
  media?: MediaAttachment;
  /** Server time, epoch milliseconds. */
  sentAt: number;
}

/** A verified media object, as every message event, history page and sync batch carries it. */
export interface MediaAttachment {
  kind: MediaKind;
  /** The verified type; downloads are served with it. */
  contentType: MediaContentType;
  size: number;
  fileName?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  preview?: string;
  /** A presigned GET, valid until urlExpiresAt; `getMediaUrl` gives a fresh one. */
  url: string;
  urlExpiresAt: number;
}

export type MessageStatus = 'sent' | 'delivered' | 'seen';

export type MessageWithStatus = ChatMessage & { status: MessageStatus };

/** One participant's receipt watermarks; `seen` is null when read receipts are off on either side. */
export interface Watermarks {
  delivered: number;
  seen: number | null;
}

export type PresenceState = 'online' | 'offline' | 'hidden';

export interface Presence {
  userId: string;
  state: PresenceState;
  /** Epoch ms of the last activity, present when the state is "offline". */
  lastSeen?: number;
}

export interface ConversationSummary {
  conversationId: string;
  peer: string;
  lastSeq: number;
  lastMessage: ChatMessage | null;
  /** Messages from the peer that this user has not seen. */
  unread: number;
  /** The peer's receipts: how far this user's messages got. */
  peerReceipts: Watermarks;
  peerPresence: Presence;
  /** You muted this conversation: it is never pushed to your devices. */
  muted: boolean;
}

export interface Settings {
  readReceipts: boolean;
  lastSeenVisibility: LastSeenVisibility;
  /** Push notifications show the start of the text; off, they say only who wrote. */
  pushPreviews: boolean;
}

type Reply = { requestId?: string };

export type ServerEvent =
  | ({
      type: 'ack';
      messageId: string;
      conversationId: string;
      seq: number;
      sentAt: number;
      /** True when this id was already stored: nothing was stored or delivered again. */
      duplicate: boolean;
    } & Reply)
  | ({ type: 'message' } & ChatMessage)
  | ({ type: 'heartbeat'; expiresAt: number; intervalMs: number } & Reply)
  | ({ type: 'status'; conversationId: string; userId: string } & Watermarks & Reply)
  | ({ type: 'presence'; users: Presence[] } & Reply)
  | { type: 'typing'; conversationId: string; from: string; state: 'typing' | 'stopped'; expiresAt: number }
  | ({ type: 'settings' } & Settings & Reply)
  | ({ type: 'conversations'; conversations: ConversationSummary[]; nextCursor: string | null } & Reply)
  | ({
      type: 'messages';
      conversationId: string;
      messages: MessageWithStatus[];
      /** More messages lie beyond this page in the same direction. */
      hasMore: boolean;
      peerReceipts: Watermarks;
    } & Reply)
  | { type: 'sync'; conversationId: string; messages: ChatMessage[] }
  | ({ type: 'synced'; conversations: number; messages: number } & Reply)
  | ({
      type: 'uploadSlot';
      uploadId: string;
      /** POST a multipart form to `url` with every field of `fields`, then the file as the last field, `file`. */
      url: string;
      fields: Record<string, string>;
      maxBytes: number;
      expiresAt: number;
    } & Reply)
  | ({ type: 'mediaUrl'; conversationId: string; seq: number; url: string; urlExpiresAt: number } & Reply)
  | ({
      type: 'pushSubscription';
      /** This device now has a subscription (false after removing it). */
      subscribed: boolean;
      /** The deployment's VAPID public key (base64url): subscribe with it as `applicationServerKey`. */
      vapidPublicKey: string;
    } & Reply)
  | ({ type: 'conversationMuted'; conversationId: string; muted: boolean } & Reply)
  | ({ type: 'ok' } & Reply)
  | ({
      type: 'error';
      code: ErrorCode;
      message: string;
      /** With RATE_LIMITED: wait this long before sending the frame again. */
      retryAfterMs?: number;
    } & Reply);

export type ServerEventType = ServerEvent['type'];
export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;
