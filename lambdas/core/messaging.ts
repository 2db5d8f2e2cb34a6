import type { PushRequest } from '../../contract/invocations';
import { ChatError } from '../../contract/protocol/errors';
import type { EventOf, FrameOf } from '../../contract/protocol/frames';
import { conversationIdOf } from '../../contract/protocol/ids';
import { blockedBetween } from './blocking';
import { pushToConnections, replyBeforePushes } from './delivery';
import type { InstanceCache } from './instance-cache';
import type { KeyedQueue } from './keyed-queue';
import { type AttachDeps, attachUpload, type LinkDeps, linkMedia } from './media';
import type {
  Caller,
  Clock,
  ConnectionNotifier,
  ConversationStore,
  Invoker,
  MessageStore,
  StoredMessage,
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
 * Stores a message at the next sequence number of its conversation, or returns the message already
 * stored under the same client-chosen id.
 *
 * Without transactions (dynalite has none) the only write that binds a number to a message is a
 * conditional put of the message at that number; a number is only tried once the one before it is
 * known to be taken, so numbers are gap-free. The id is looked up after that is known and before each
 * put: a message with the same id stored after the lookup would have had to take the number we try,
 * and then our put fails and we look again.
 */
export async function storeMessage(
  messages: Pick<MessageStore, 'lastSeq' | 'findByMessageId' | 'putIfSeqFree'>,
  draft: Omit<StoredMessage, 'seq'>,
  /** A sequence number known to be taken, which saves reading the last one when it is still the last. */
  knownTaken?: number,
): Promise<{ message: StoredMessage; duplicate: boolean }> {
  let seq = (knownTaken ?? (await messages.lastSeq(draft.conversationId))) + 1;
  for (let attempt = 0; attempt < MAX_SEQUENCE_ATTEMPTS; attempt++) {
    const existing = await messages.findByMessageId(draft.conversationId, draft.messageId);
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
  }
  throw new ChatError('BUSY', 'The conversation is busy; retry with the same messageId');
}

/**
 * The recipient exists, and neither side blocked the other. Both profiles come in one read; blocks must
 * take effect at once, so they are read on every send (no instance cache).
 */
async function checkRecipient(deps: MessagingDeps, caller: Caller, to: string, now: number): Promise<void> {
  const users = await deps.users.getUsers([to, caller.userId], now);
  const recipient = users.get(to)?.profile;
  if (!recipient) throw new ChatError('UNKNOWN_RECIPIENT', `No user named ${to}`);
  if (blockedBetween(recipient, users.get(caller.userId)?.profile)) {
    throw new ChatError('BLOCKED', 'One of you blocked the other: messages are not accepted');
  }
}

/** The ack, and whether it already went to the sender (else the route response carries it). */
export interface SendOutcome {
  ack: EventOf<'ack'>;
  answered: boolean;
}

export async function sendMessage(
  deps: MessagingDeps,
  caller: Caller,
  frame: FrameOf<'sendMessage'>,
): Promise<SendOutcome> {
  if (frame.to === caller.userId) throw new ChatError('SELF_SEND', 'You cannot send a message to yourself');
  const now = deps.clock.now();
  await checkRecipient(deps, caller, frame.to, now);

  const conversationId = conversationIdOf(caller.userId, frame.to);
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
      deps.lastStored.get(conversationId),
    );
    if (!stored.duplicate) deps.lastStored.set(conversationId, stored.message.seq);
    return stored;
  });
  // On a retry this repairs the head if the first attempt stopped short; it never moves it backwards.
  const seenBefore = await deps.conversations.recordMessage(message);

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
    pushMessage(deps, caller, message, now, seenBefore),
  );
  return { ack, answered: unsent === undefined };
}

/**
 * Connections are read only once the message and its head are stored: a device that registers later is
 * covered by its own sync, which starts after it registered and so finds the message.
 */
async function pushMessage(
  deps: MessagingDeps,
  caller: Caller,
  message: StoredMessage,
  now: number,
  /** The sender's seen watermark before this message moved it. */
  seenBefore: number,
): Promise<void> {
  const users = await deps.users.getUsers([message.to, caller.userId], now);
  const recipient = users.get(message.to)?.connections ?? [];
  const others = (users.get(caller.userId)?.connections ?? []).filter(
    (c) => c.connectionId !== caller.connectionId,
  );
  const pushes = [
    pushToConnections(deps, [...recipient, ...others], {
      type: 'message',
      ...(await linkMedia(deps, message)),
    }),
    // Web Push to the recipient's subscribed devices that have no live connection (lambdas/core/push.ts).
    requestPush(deps, users.get(message.to), message),
  ];
  // Sending moves the sender's delivered and seen watermarks to the new message: the peer's earlier
  // messages are now delivered and seen, and the peer's devices are told so, as a receipt would.
  if (seenBefore < message.seq - 1) {
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
