import type { PushRequest } from '../../contract/invocations';
import { ChatError } from '../../contract/protocol/errors';
import type { EventOf, FrameOf } from '../../contract/protocol/frames';
import { conversationIdOf } from '../../contract/protocol/ids';
import { ACTIVITY_REKEY_MS, activityTime } from './activity';
import { blockedBetween } from './blocking';
import { pushToConnections, replyBeforePushes } from './delivery';
import type { InstanceCache } from './instance-cache';
import type { KeyedQueue } from './keyed-queue';
import { type AttachDeps, attachUpload, type LinkDeps, linkMedia } from './media';
import type {
  Caller,
  Clock,
  ConnectionNotifier,
  ConversationHead,
  ConversationStore,
  Invoker,
  MessageStore,
  StoredMessage,
  UserState,
  UserStore,
} from './ports';
import { requestPush } from './push';
import { seenVisible } from './receipts';

export interface MessagingDeps extends AttachDeps, LinkDeps {
  users: UserStore;
  messages: MessageStore;
  conversations: ConversationStore;
  notifier: ConnectionNotifier;
  clock: Clock;
  /** The last sequence number this instance stored in each conversation: a number known to be taken. */
  lastStored: InstanceCache<number>;
  /** Orders this instance's sends per conversation. */
  conversationQueue: KeyedQueue;
  /** Starts the push function for a recipient's offline devices. */
  pushInvoker: Invoker<PushRequest>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Writers racing for the same number retry; this many losses in a row means the conversation is flooded. */
const MAX_SEQUENCE_ATTEMPTS = 32;

/**
 * What a send read before it stores: the conversation's last sequence number, and the id's lookup when
 * it started once `after` was known to be taken (at the same time as the read of the last number).
 */
export interface StoreStart {
  lastSeq: number;
  lookup?: { after: number; existing: StoredMessage | undefined };
}

/**
 * Stores a message at the next sequence number of its conversation, or returns the message already
 * stored under the same client-chosen id.
 *
 * Without transactions (dynalite has none) the only write that binds a number to a message is a
 * conditional put of the message at that number; a number is only tried once the one before it is
 * known to be taken, so numbers are gap-free. The id is looked up after that is known and before each
 * put: a message with the same id stored after the lookup would have had to take the number we try,
 * and then our put fails and we look again. A lookup made while the last number was being read counts
 * only when the number known before it (`after`) turned out to be the last.
 */
export async function storeMessage(
  messages: Pick<MessageStore, 'lastSeq' | 'findByMessageId' | 'putIfSeqFree'>,
  draft: Omit<StoredMessage, 'seq'>,
  start?: StoreStart,
): Promise<{ message: StoredMessage; duplicate: boolean }> {
  const lookUp = () => messages.findByMessageId(draft.conversationId, draft.messageId);
  let seq = (start?.lastSeq ?? (await messages.lastSeq(draft.conversationId))) + 1;
  const early = start?.lookup;
  let existing =
    early && (early.existing !== undefined || early.after === seq - 1) ? early.existing : await lookUp();
  for (let attempt = 0; attempt < MAX_SEQUENCE_ATTEMPTS; attempt++) {
    if (existing) {
      if (
        existing.from !== draft.from ||
        existing.to !== draft.to ||
        existing.text !== draft.text ||
        existing.media?.key !== draft.media?.key
      ) {
        throw new ChatError('MESSAGE_ID_REUSED', 'This messageId was already used for a different message');
      }
      return { message: existing, duplicate: true };
    }
    const message: StoredMessage = { ...draft, seq };
    if (await messages.putIfSeqFree(message)) return { message, duplicate: false };
    // Writers that collided would collide again in lockstep; a random pause spreads them out.
    await sleep(Math.random() * Math.min(50, 2 ** attempt));
    // Several writers may have gone ahead; skip to the end rather than step past them one by one.
    seq = Math.max(seq + 1, (await messages.lastSeq(draft.conversationId)) + 1);
    existing = await lookUp();
  }
  throw new ChatError('BUSY', 'The conversation is busy; retry with the same messageId');
}

/** The recipient exists, and neither side blocked the other. Blocks take effect at once: read on every send. */
function checkRecipient(users: Map<string, UserState>, caller: Caller, to: string): void {
  const recipient = users.get(to)?.profile;
  if (!recipient) throw new ChatError('UNKNOWN_RECIPIENT', `No user named ${to}`);
  if (blockedBetween(recipient, users.get(caller.userId)?.profile)) {
    throw new ChatError('BLOCKED', 'One of you blocked the other: messages are not accepted');
  }
}

/**
 * Whether a message moves its conversation's `activity` (and so both index entries): when the head is
 * new, when a side's entry is missing (a hide took it away: put back, it must be placed by this
 * message), or when the activity is ACTIVITY_REKEY_MS old.
 */
function needsRekey(head: ConversationHead | undefined, sentAt: number): boolean {
  const indexed = head?.indexed;
  if (!indexed?.lo || !indexed.hi) return true;
  return sentAt - activityTime(indexed.activity) >= ACTIVITY_REKEY_MS;
}

/** The ack, and whether it already went to the sender (else the route response carries it). */
export interface SendOutcome {
  ack: EventOf<'ack'>;
  answered: boolean;
}

/**
 * A send waits for three DynamoDB round trips before its pushes when the last sequence number was
 * known before it began (to this instance, which stored it, or to the client, which holds it): the
 * reads (both profiles, the head, the id's lookup) at the same time as the rate limit's count,
 * then the message, then the head. Otherwise the lookup must follow the read of the last number (see
 * storeMessage): four.
 */
export async function sendMessage(
  deps: MessagingDeps,
  caller: Caller,
  frame: FrameOf<'sendMessage'>,
  /** The rate limit's verdict, reached while the reads run: nothing is written before it. */
  admitted: Promise<void>,
): Promise<SendOutcome> {
  if (frame.to === caller.userId) throw new ChatError('SELF_SEND', 'You cannot send a message to yourself');
  const now = deps.clock.now();
  const conversationId = conversationIdOf(caller.userId, frame.to);
  // A number the client claims is checked against the last one read below before anything relies on it.
  const after = Math.max(deps.lastStored.get(conversationId) ?? 0, frame.afterSeq ?? 0);
  const [users, head, existing] = await Promise.all([
    deps.users.getUsers([frame.to, caller.userId], now),
    // The head's last seq is taken (it moves only after a message is stored); it may trail a send in
    // flight, whose number the put then finds taken.
    deps.conversations.get(conversationId),
    deps.messages.findByMessageId(conversationId, frame.messageId),
    admitted,
  ]);
  const lastSeq = head?.lastSeq ?? 0;
  checkRecipient(users, caller, frame.to);

  // Verified before anything is stored: a refused upload leaves no message behind.
  const media = frame.media
    ? await attachUpload(deps, caller, { conversationId, messageId: frame.messageId }, frame.media)
    : undefined;
  const { message, duplicate } = await deps.conversationQueue.run(conversationId, async () => {
    const stored = await storeMessage(
      deps.messages,
      {
        conversationId,
        messageId: frame.messageId,
        from: caller.userId,
        to: frame.to,
        text: frame.text ?? '',
        ...(media === undefined ? {} : { media }),
        sentAt: deps.clock.now(),
      },
      { lastSeq, lookup: { after, existing } },
    );
    if (!stored.duplicate) deps.lastStored.set(conversationId, stored.message.seq);
    return stored;
  });
  // On a retry this repairs the head if the first attempt stopped short; it never moves it backwards.
  const seenBefore = await deps.conversations.recordMessage(message, {
    rekey: needsRekey(head, message.sentAt),
  });

  const ack: EventOf<'ack'> = {
    type: 'ack',
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    messageId: message.messageId,
    conversationId: message.conversationId,
    seq: message.seq,
    sentAt: message.sentAt,
    duplicate,
  };
  // A retry must not deliver twice; a device that missed the first delivery catches up by sync.
  if (duplicate) return { ack, answered: false };
  // The message is stored: the sender is answered now, whatever the recipient's connections do.
  const unsent = await replyBeforePushes(
    deps,
    caller,
    ack,
    pushMessage(deps, caller, message, { now, seenBefore, readBefore: users }),
  );
  return { ack, answered: unsent === undefined };
}

/**
 * Pushes the message (and the sender's moved watermarks) to both users' other connections.
 *
 * The connections read before the store are pushed to at once. The profiles are read again once the
 * message and its head are stored, for the connections that registered meanwhile: a device that
 * registers later is covered by its own sync, which starts after it registered and so finds the
 * message, but one that registered during the store may have synced too early.
 */
async function pushMessage(
  deps: MessagingDeps,
  caller: Caller,
  message: StoredMessage,
  context: {
    now: number;
    /** The sender's seen watermark before this message moved it. */
    seenBefore: number;
    readBefore: Map<string, UserState>;
  },
): Promise<void> {
  const pushTo = (users: Map<string, UserState>, skip: ReadonlySet<string>) =>
    pushToBoth(deps, caller, message, context.seenBefore, users, skip);
  const early = pushTo(context.readBefore, new Set([caller.connectionId]));
  const readAfter = await deps.users.getUsers([message.to, caller.userId], context.now);
  const pushed = new Set([caller.connectionId]);
  for (const state of context.readBefore.values()) {
    for (const connection of state.connections) pushed.add(connection.connectionId);
  }
  await Promise.all([
    early,
    pushTo(readAfter, pushed),
    // Web Push to the recipient's subscribed devices that have no live connection (lambdas/core/push.ts),
    // decided from the profile read after the store.
    requestPush(deps, readAfter.get(message.to), message),
  ]);
}

/** One push of the message to each connection of the two users not in `skip`, and the status to the recipient's. */
async function pushToBoth(
  deps: MessagingDeps,
  caller: Caller,
  message: StoredMessage,
  seenBefore: number,
  users: Map<string, UserState>,
  skip: ReadonlySet<string>,
): Promise<void> {
  const fresh = (userId: string) =>
    (users.get(userId)?.connections ?? []).filter((c) => !skip.has(c.connectionId));
  const recipient = fresh(message.to);
  const others = fresh(caller.userId);
  if (recipient.length === 0 && others.length === 0) return;
  const pushes = [
    pushToConnections(deps, [...recipient, ...others], {
      type: 'message',
      ...(await linkMedia(deps, message)),
    }),
  ];
  // Sending moves the sender's delivered and seen watermarks to the new message: the peer's earlier
  // messages are now delivered and seen, and the peer's devices are told so, as a receipt would.
  if (seenBefore < message.seq - 1 && recipient.length > 0) {
    const showSeen = seenVisible(users.get(message.to)?.profile, users.get(caller.userId)?.profile);
    const status: EventOf<'status'> = {
      type: 'status',
      conversationId: message.conversationId,
      userId: caller.userId,
      delivered: message.seq,
      seen: showSeen ? message.seq : null,
    };
    pushes.push(pushToConnections(deps, recipient, status));
  }
  await Promise.all(pushes);
}
