import type { ChatMessage, MessageStatus, MessageWithStatus, Watermarks } from '../contract/protocol/frames';

/**
 * How messages reached this device; it decides what the store may conclude about the ones it lacks.
 * - `push`: a live `message` event, or the ack of our own send.
 * - `sync`: a `sync` batch. Batches come oldest first from the device's cursor, so every message
 *   before a batch's first one was already acknowledged by this device.
 * - `latest-page`: the newest page of history. Everything older is history, fetched by scrolling.
 * - `page`: any other page of history.
 */
export type Origin = 'push' | 'sync' | 'latest-page' | 'page';

interface Conversation {
  readonly messages: Map<number, ChatMessage>;
  sorted: ChatMessage[] | undefined;
  /** Every seq up to here needs no delivery to this device; undefined until something tells. */
  floor: number | undefined;
  /** The end of the run of held messages that starts at `floor`. */
  runEnd: number;
  /**
   * The highest seq of the run that this device owes a "delivered" for: a message from the peer, or
   * any message a sync delivered (the server sends our own messages back until this device reports them).
   */
  owedUpTo: number;
  /** Seqs a sync delivered beyond the run, owed once the run reaches them. */
  readonly owedBySync: Set<number>;
  /** The highest seq held. */
  highest: number;
  /** Highest "delivered" this device reported (sent on an open socket; a sync below it reopens it). */
  deviceDelivered: number;
  /** This user's "seen" watermark, from any of their devices. */
  seen: number;
  peer: Watermarks;
  /**
   * The peer wrote after every message below their newest one here, so they had them on screen: a
   * reply implies "seen" of what it answers, even before the peer's own receipt arrives.
   */
  peerReplied: number;
  history: { loaded: boolean; hasMore: boolean };
}

/**
 * The messages this device holds, per conversation, keyed by seq: duplicates are dropped, order is seq
 * order. It also tracks which contiguous run of messages the device holds, which is what a "delivered"
 * receipt may claim, and the receipt watermarks that give each message its status.
 */
export class MessageStore {
  private readonly conversations = new Map<string, Conversation>();
  /**
   * True once this connection's sync has completed: a conversation absent from it had nothing waiting,
   * so the first message that arrives later starts the run.
   */
  private settled = false;

  constructor(readonly userId: string) {}

  /** Adds what is new and returns it in seq order; messages already held are dropped. */
  add(messages: readonly (ChatMessage | MessageWithStatus)[], origin: Origin): ChatMessage[] {
    const added: ChatMessage[] = [];
    for (const incoming of messages) {
      const conversation = this.conversation(incoming.conversationId);
      if (origin === 'sync') {
        conversation.owedBySync.add(incoming.seq);
        // The server syncs from this device's cursor: a message below what we reported means that
        // receipt was lost with its socket, so it is owed again.
        conversation.deviceDelivered = Math.min(conversation.deviceDelivered, incoming.seq - 1);
      }
      if (conversation.messages.has(incoming.seq)) continue;
      const message = toChatMessage(incoming);
      conversation.messages.set(message.seq, message);
      conversation.sorted = undefined;
      conversation.highest = Math.max(conversation.highest, message.seq);
      added.push(message);
      if (incoming.from !== this.userId) {
        conversation.peerReplied = Math.max(conversation.peerReplied, incoming.seq - 1);
        if ('status' in incoming && incoming.status === 'seen') {
          conversation.seen = Math.max(conversation.seen, incoming.seq);
        }
      }
    }
    const lowest = lowestSeqByConversation(messages);
    for (const [conversationId, seq] of lowest) {
      const conversation = this.conversation(conversationId);
      if (origin === 'sync' || origin === 'latest-page') this.raiseFloor(conversation, seq - 1);
      else if (conversation.floor === undefined && this.settled) this.raiseFloor(conversation, seq - 1);
      this.extendRun(conversation);
    }
    return added.sort((a, b) => a.seq - b.seq);
  }

  /**
   * A fresh download URL for a held media message (a `mediaUrl` reply). The message is replaced, not
   * changed, so that views holding the old object can tell it moved on.
   */
  setMediaUrl(conversationId: string, seq: number, url: string, urlExpiresAt: number): void {
    const conversation = this.conversations.get(conversationId);
    const message = conversation?.messages.get(seq);
    if (!conversation || !message?.media) return;
    conversation.messages.set(seq, { ...message, media: { ...message.media, url, urlExpiresAt } });
    conversation.sorted = undefined;
  }

  /** An empty newest page: the conversation has no messages, so nothing is missing below the first. */
  markEmpty(conversationId: string): void {
    const conversation = this.conversation(conversationId);
    this.raiseFloor(conversation, 0);
    this.extendRun(conversation);
  }

  /** This connection's sync is complete (see `settled`); conversations with a hole-free start get a floor. */
  settle(): void {
    this.settled = true;
    for (const conversation of this.conversations.values()) {
      const lowest = this.sorted(conversation)[0];
      if (conversation.floor === undefined && lowest) {
        this.raiseFloor(conversation, lowest.seq - 1);
        this.extendRun(conversation);
      }
    }
  }

  /** A new connection: until its sync completes, a first message may not be the first one missing. */
  unsettle(): void {
    this.settled = false;
  }

  messages(conversationId: string): readonly ChatMessage[] {
    const conversation = this.conversations.get(conversationId);
    return conversation ? this.sorted(conversation) : [];
  }

  /** The user deleted the conversation (hideConversation): its messages are gone for them. */
  forget(conversationId: string): void {
    this.conversations.delete(conversationId);
  }

  conversationIds(): string[] {
    return [...this.conversations.keys()];
  }

  /**
   * The `upTo` of the "delivered" receipt this device owes, if any: the end of its hole-free run, when
   * that run holds an owed message (see `owedUpTo`) this device has not reported. Our own messages
   * that arrived with their ack or a push are not owed: the next receipt covers them.
   */
  deliveredToReport(conversationId: string): number | undefined {
    const conversation = this.conversations.get(conversationId);
    if (!conversation || conversation.floor === undefined) return undefined;
    return conversation.owedUpTo > conversation.deviceDelivered ? conversation.runEnd : undefined;
  }

  /** The highest seq held in the conversation (0 when none): a send names it, see `afterSeq`. */
  highest(conversationId: string): number {
    return this.conversations.get(conversationId)?.highest ?? 0;
  }

  /** The seq after which a message is missing while a later one is held, if there is such a hole. */
  gapAfter(conversationId: string): number | undefined {
    const conversation = this.conversations.get(conversationId);
    if (!conversation || conversation.floor === undefined) return undefined;
    return conversation.highest > conversation.runEnd ? conversation.runEnd : undefined;
  }

  /** This device sent its receipt; "seen" implies "delivered". */
  reported(conversationId: string, status: 'delivered' | 'seen', upTo: number): void {
    const conversation = this.conversation(conversationId);
    conversation.deviceDelivered = Math.max(conversation.deviceDelivered, upTo);
    if (status === 'seen') conversation.seen = Math.max(conversation.seen, upTo);
  }

  /** This user's "seen" watermark moved, possibly on another device. */
  setSeen(conversationId: string, seen: number): void {
    const conversation = this.conversation(conversationId);
    conversation.seen = Math.max(conversation.seen, seen);
  }

  seenUpTo(conversationId: string): number {
    return this.conversations.get(conversationId)?.seen ?? 0;
  }

  /** The peer's watermarks; they only move forwards, whatever order the events arrive in. */
  setPeerReceipts(conversationId: string, receipts: Watermarks): void {
    const { peer } = this.conversation(conversationId);
    peer.delivered = Math.max(peer.delivered, receipts.delivered);
    // null means read receipts are off on either side: that can change back, so null is not "behind".
    peer.seen = receipts.seen === null ? null : Math.max(peer.seen ?? 0, receipts.seen);
  }

  peerReceipts(conversationId: string): Watermarks {
    const peer = this.conversations.get(conversationId)?.peer;
    return peer ? { ...peer } : { delivered: 0, seen: null };
  }

  /** Sent, delivered or seen: for our messages by the peer's receipts, for theirs by ours. */
  statusOf(message: ChatMessage): MessageStatus {
    const conversation = this.conversations.get(message.conversationId);
    if (message.from !== this.userId) {
      return conversation && message.seq <= conversation.seen ? 'seen' : 'delivered';
    }
    if (!conversation) return statusFor(message.seq, { delivered: 0, seen: null });
    const { peer, peerReplied } = conversation;
    // A reply shows "seen" only where the peer's "seen" shows at all: read receipts off on either side
    // (null) stays off.
    return statusFor(message.seq, {
      delivered: Math.max(peer.delivered, peerReplied),
      seen: peer.seen === null ? null : Math.max(peer.seen, peerReplied),
    });
  }

  history(conversationId: string): { loaded: boolean; hasMore: boolean } {
    return { ...(this.conversations.get(conversationId)?.history ?? { loaded: false, hasMore: true }) };
  }

  setHistory(conversationId: string, hasMore: boolean): void {
    this.conversation(conversationId).history = { loaded: true, hasMore };
  }

  private conversation(conversationId: string): Conversation {
    let conversation = this.conversations.get(conversationId);
    if (!conversation) {
      conversation = {
        messages: new Map(),
        sorted: undefined,
        floor: undefined,
        runEnd: 0,
        owedUpTo: 0,
        owedBySync: new Set(),
        highest: 0,
        deviceDelivered: 0,
        seen: 0,
        peer: { delivered: 0, seen: null },
        peerReplied: 0,
        history: { loaded: false, hasMore: true },
      };
      this.conversations.set(conversationId, conversation);
    }
    return conversation;
  }

  private sorted(conversation: Conversation): ChatMessage[] {
    conversation.sorted ??= [...conversation.messages.values()].sort((a, b) => a.seq - b.seq);
    return conversation.sorted;
  }

  private raiseFloor(conversation: Conversation, floor: number): void {
    conversation.floor = Math.max(conversation.floor ?? 0, floor);
    conversation.runEnd = Math.max(conversation.runEnd, conversation.floor);
  }

  /** The run only grows, so walking it costs each message once over the store's life. */
  private extendRun(conversation: Conversation): void {
    if (conversation.floor === undefined) return;
    for (;;) {
      const next = conversation.messages.get(conversation.runEnd + 1);
      if (!next) break;
      conversation.runEnd = next.seq;
      if (next.from !== this.userId) conversation.owedUpTo = next.seq;
    }
    for (const seq of conversation.owedBySync) {
      if (seq > conversation.runEnd) continue;
      conversation.owedUpTo = Math.max(conversation.owedUpTo, seq);
      conversation.owedBySync.delete(seq);
    }
  }
}

/** The rule of docs/protocol.md (`status`): seen if seq <= seen, else delivered if seq <= delivered. */
export function statusFor(seq: number, receipts: Watermarks): MessageStatus {
  if (receipts.seen !== null && seq <= receipts.seen) return 'seen';
  return seq <= receipts.delivered ? 'delivered' : 'sent';
}

/** A history message's status is derived from watermarks instead, so that it can move. */
function toChatMessage(message: ChatMessage | MessageWithStatus): ChatMessage {
  if (!('status' in message)) return message;
  const { status: _status, ...rest } = message;
  return rest;
}

function lowestSeqByConversation(messages: readonly ChatMessage[]): Map<string, number> {
  const lowest = new Map<string, number>();
  for (const { conversationId, seq } of messages) {
    lowest.set(conversationId, Math.min(lowest.get(conversationId) ?? seq, seq));
  }
  return lowest;
}
