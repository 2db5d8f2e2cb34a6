import { LIMITS } from '../../contract/limits';
import { ChatError } from '../../contract/protocol/errors';
import type {
  ChatMessage,
  ConversationSummary,
  FrameOf,
  MessageWithStatus,
  Presence,
  ServerEvent,
} from '../../contract/protocol/frames';
import { CONVERSATION_ID_PATTERN, sideOf } from '../../contract/protocol/ids';
import { type LinkDeps, linkAll, linkMedia } from './media';
import type { Clock, ConversationHead, ConversationStore, MessageStore, UserStore } from './ports';
import { presenceFromStates } from './presence';
import { seenVisible, statusOf, watermarksFor } from './receipts';

export interface HistoryDeps extends LinkDeps {
  users: UserStore;
  conversations: ConversationStore;
  messages: MessageStore;
  clock: Clock;
}

export interface ConversationListDeps extends LinkDeps {
  users: UserStore;
  conversations: ConversationStore;
  clock: Clock;
}

const DEFAULT_MESSAGES_PAGE = 50;
const DEFAULT_CONVERSATIONS_PAGE = 20;

const replyTo = (requestId: string | undefined) => (requestId === undefined ? {} : { requestId });

function membershipOrThrow(conversationId: string, userId: string) {
  const membership = sideOf(conversationId, userId);
  if (!membership) throw new ChatError('NOT_A_PARTICIPANT', 'You are not in this conversation');
  return membership;
}

/**
 * Splits items (messages, conversation summaries) into runs whose JSON stays under the reply budget,
 * so every frame fits in API Gateway's 128 KB. A single item always fits: at most 4000 characters of
 * text, a preview of at most 6 KB and a download URL of a few KB. Measure messages with their URLs:
 * they are the longest part.
 */
export function takeWithinBytes<T>(items: readonly T[], budget: number): { taken: T[]; rest: T[] } {
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(items[i])) + 1;
    if (bytes > budget && i > 0) return { taken: items.slice(0, i), rest: items.slice(i) };
  }
  return { taken: [...items], rest: [] };
}

export async function getMessages(
  deps: HistoryDeps,
  callerId: string,
  frame: FrameOf<'getMessages'>,
): Promise<ServerEvent> {
  const { side, peer } = membershipOrThrow(frame.conversationId, callerId);
  const now = deps.clock.now();
  const [head, users] = await Promise.all([
    deps.conversations.get(frame.conversationId),
    deps.users.getUsers([callerId, peer], now),
  ]);
  const me = users.get(callerId);
  const them = users.get(peer);
  const base = {
    type: 'messages' as const,
    ...replyTo(frame.requestId),
    conversationId: frame.conversationId,
  };
  const showSeen = seenVisible(me?.profile, them?.profile);
  // No conversation yet: nothing delivered or seen, and `null` still means only "read receipts off",
  // so that a client can rely on it (a reply implies "seen" where receipts are on).
  if (!head) {
    return {
      ...base,
      messages: [],
      hasMore: false,
      peerReceipts: { delivered: 0, seen: showSeen ? 0 : null },
    };
  }
  const mine = head[side];
  const theirs = head[side === 'lo' ? 'hi' : 'lo'];
  const page = await deps.messages.page({
    conversationId: frame.conversationId,
    after: Math.max(frame.after ?? 0, mine.cleared),
    ...(frame.before === undefined ? {} : { before: frame.before }),
    order: frame.after === undefined ? 'desc' : 'asc',
    limit: frame.limit ?? DEFAULT_MESSAGES_PAGE,
  });
  const linked = await linkAll(deps, page.messages);
  const withStatus: MessageWithStatus[] = linked.map((message) => ({
    ...message,
    status:
      message.from === callerId ? statusOf(message.seq, theirs, showSeen) : statusOf(message.seq, mine, true),
  }));
  const { taken, rest } = takeWithinBytes(withStatus, LIMITS.maxReplyBytes);
  return {
    ...base,
    messages: taken,
    hasMore: page.hasMore || rest.length > 0,
    peerReceipts: watermarksFor(theirs, showSeen),
  };
}

const CURSOR_PATTERN = new RegExp(`^\\d{15}#${CONVERSATION_ID_PATTERN.source.slice(1)}`);

function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const activity = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!CURSOR_PATTERN.test(activity))
    throw new ChatError('BAD_CURSOR', 'This cursor was not issued by the server');
  return activity;
}

async function summarize(
  deps: LinkDeps,
  head: ConversationHead,
  callerId: string,
  showSeen: boolean,
  peerPresence: Presence,
  muted: boolean,
): Promise<ConversationSummary> {
  const { side, peer } = membershipOrThrow(head.conversationId, callerId);
  const mine = head[side];
  const lastMessage: ChatMessage | null =
    head.lastSeq > mine.cleared && head.lastMessage ? await linkMedia(deps, head.lastMessage) : null;
  return {
    conversationId: head.conversationId,
    peer,
    lastSeq: head.lastSeq,
    lastMessage,
    // The caller's own messages move their seen watermark, so everything past it is the peer's.
    // Messages cleared by hideConversation are not unread, although they were never seen.
    unread: Math.max(0, head.lastSeq - Math.max(mine.seen, mine.cleared)),
    peerReceipts: watermarksFor(head[side === 'lo' ? 'hi' : 'lo'], showSeen),
    peerPresence,
    muted,
  };
}

export async function listConversations(
  deps: ConversationListDeps,
  callerId: string,
  frame: FrameOf<'listConversations'>,
): Promise<ServerEvent> {
  const before = decodeCursor(frame.cursor);
  const limit = frame.limit ?? DEFAULT_CONVERSATIONS_PAGE;
  const now = deps.clock.now();
  const page = await deps.conversations.listForUser(callerId, limit, before);
  const peers = page.conversations.map((head) => membershipOrThrow(head.conversationId, callerId).peer);
  const states = await deps.users.getUsers([callerId, ...peers], now);
  // The heads on the list say who is a contact, with no lookup needed.
  const presence = await presenceFromStates(deps, callerId, peers, states, page.conversations);
  const presenceById = new Map(presence.map(({ presence: entry }) => [entry.userId, entry]));
  const me = states.get(callerId)?.profile;
  const conversations = await Promise.all(
    page.conversations.map((head) => {
      const { peer } = membershipOrThrow(head.conversationId, callerId);
      const peerPresence = presenceById.get(peer) ?? { userId: peer, state: 'hidden' as const };
      return summarize(
        deps,
        head,
        callerId,
        seenVisible(me, states.get(peer)?.profile),
        peerPresence,
        me?.muted.includes(head.conversationId) ?? false,
      );
    }),
  );
  // A page also stops before its frame would pass the reply budget: twelve long non-Latin last
  // messages are over API Gateway's 128 KB message limit, and such a frame would never arrive.
  const { taken, rest } = takeWithinBytes(conversations, LIMITS.maxReplyBytes);
  const last = page.conversations[taken.length - 1];
  const hasMore = rest.length > 0 || page.hasMore;
  return {
    type: 'conversations',
    ...replyTo(frame.requestId),
    conversations: taken,
    nextCursor: hasMore && last ? Buffer.from(last.activity, 'utf8').toString('base64url') : null,
  };
}

export async function hideConversation(
  deps: { conversations: ConversationStore },
  callerId: string,
  frame: FrameOf<'hideConversation'>,
): Promise<ServerEvent> {
  const { side } = membershipOrThrow(frame.conversationId, callerId);
  if (!(await deps.conversations.hide(frame.conversationId, side))) {
    throw new ChatError('UNKNOWN_CONVERSATION', 'This conversation has no messages');
  }
  return { type: 'ok', ...replyTo(frame.requestId) };
}
