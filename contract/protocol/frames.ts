// zod/mini keeps each Lambda bundle small: the full zod API alone is larger than a whole handler should be.
import * as z from 'zod/mini';
import { LIMITS } from '../limits';
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

export const sendMessageFrame = z.strictObject({
  action: z.literal('sendMessage'),
  requestId,
  /** Chosen by the client, unique per message; a retry reuses it. */
  messageId: id,
  to: userIdSchema,
  text: z.string().check(z.minLength(1), z.maxLength(LIMITS.maxTextLength)),
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

export const hideConversationFrame = z.strictObject({
  action: z.literal('hideConversation'),
  requestId,
  conversationId,
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
]);

export type ClientFrame = z.infer<typeof clientFrame>;
export type ClientAction = ClientFrame['action'];
export type FrameOf<A extends ClientAction> = Extract<ClientFrame, { action: A }>;
export type LastSeenVisibility = z.infer<typeof lastSeenVisibility>;

export type ErrorCode =
  | 'BAD_JSON'
  | 'UNKNOWN_ACTION'
  | 'INVALID_FRAME'
  | 'TEXT_TOO_LONG'
  | 'UNKNOWN_RECIPIENT'
  | 'SELF_SEND'
  | 'MESSAGE_ID_REUSED'
  | 'NOT_A_PARTICIPANT'
  | 'UNKNOWN_CONVERSATION'
  | 'RECEIPT_AHEAD'
  | 'BAD_CURSOR'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'INTERNAL';

export interface ChatMessage {
  conversationId: string;
  seq: number;
  messageId: string;
  from: string;
  to: string;
  text: string;
  /** Server time, epoch milliseconds. */
  sentAt: number;
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
}

export interface Settings {
  readReceipts: boolean;
  lastSeenVisibility: LastSeenVisibility;
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
  | ({ type: 'ok' } & Reply)
  | ({ type: 'error'; code: ErrorCode; message: string } & Reply);

export type ServerEventType = ServerEvent['type'];
export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;
