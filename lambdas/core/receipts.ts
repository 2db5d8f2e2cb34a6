import { ChatError } from '../../contract/protocol/errors';
import type { FrameOf, MessageStatus, ServerEvent, Watermarks } from '../../contract/protocol/frames';
import { sideOf } from '../../contract/protocol/ids';
import { pushToConnections, replyBeforePushes } from './delivery';
import type {
  Caller,
  Clock,
  ConnectionNotifier,
  ConversationStore,
  DeviceStore,
  Profile,
  SideState,
  UserStore,
} from './ports';
import { DEFAULT_SETTINGS } from './ports';

export interface ReceiptDeps {
  users: UserStore;
  conversations: ConversationStore;
  devices: DeviceStore;
  notifier: ConnectionNotifier;
  clock: Clock;
}

/** "Seen" is shown only when both people have read receipts on, as in WhatsApp. */
export function seenVisible(a: Profile | undefined, b: Profile | undefined): boolean {
  return (
    (a?.readReceipts ?? DEFAULT_SETTINGS.readReceipts) && (b?.readReceipts ?? DEFAULT_SETTINGS.readReceipts)
  );
}

export function watermarksFor(state: SideState, showSeen: boolean): Watermarks {
  return { delivered: state.delivered, seen: showSeen ? state.seen : null };
}

export function statusOf(seq: number, recipient: SideState, showSeen: boolean): MessageStatus {
  if (showSeen && seq <= recipient.seen) return 'seen';
  return seq <= recipient.delivered ? 'delivered' : 'sent';
}

/**
 * A receipt moves the caller's watermark in the conversation (one conditional write) and this device's
 * cursor, then tells the sender's devices and the caller's other devices what moved. The caller gets a
 * `status` only when the receipt carries a requestId.
 */
export async function applyReceipt(
  deps: ReceiptDeps,
  caller: Caller,
  frame: FrameOf<'receipt'>,
  /**
   * Counts the frame against the rate limit (or throws RATE_LIMITED). Only a receipt that moved no
   * watermark is counted: each one that moves one covers at least one more message, so messages,
   * which are limited, bound them.
   */
  admit: () => Promise<void>,
): Promise<ServerEvent | undefined> {
  const membership = sideOf(frame.conversationId, caller.userId);
  if (!membership) {
    await admit();
    throw new ChatError('NOT_A_PARTICIPANT', 'You are not in this conversation');
  }
  const outcome = await deps.conversations.applyReceipt(
    frame.conversationId,
    membership.side,
    frame.status,
    frame.upTo,
  );
  if (outcome.kind !== 'moved') await admit();
  if (outcome.kind === 'unknown')
    throw new ChatError('UNKNOWN_CONVERSATION', 'This conversation has no messages');
  if (outcome.kind === 'ahead') {
    throw new ChatError('RECEIPT_AHEAD', `The conversation's last message is ${outcome.head.lastSeq}`);
  }
  const mine = outcome.head[membership.side];
  const base = { conversationId: frame.conversationId, userId: caller.userId };

  // The device cursor moves even when the user-level watermark does not: another device may be ahead.
  await deps.devices.advanceCursor(caller.userId, caller.deviceId, frame.conversationId, frame.upTo);
  const pushes =
    outcome.kind === 'moved' ? pushStatus(deps, caller, membership.peer, frame, mine) : undefined;
  // A receipt without a requestId is answered only when it fails: each outgoing message is billed, and
  // a client that needs to know its receipt was stored asks with a requestId.
  if (frame.requestId === undefined) {
    await pushes;
    return undefined;
  }
  const reply: ServerEvent = {
    type: 'status',
    requestId: frame.requestId,
    ...base,
    ...watermarksFor(mine, true),
  };
  if (pushes === undefined) return reply;
  // The receipt is stored: the caller is answered now, whatever the other connections do.
  return replyBeforePushes(deps, caller, reply, pushes);
}

/** Tells the sender's devices and the caller's other devices that the caller's watermark moved. */
async function pushStatus(
  deps: ReceiptDeps,
  caller: Caller,
  peerId: string,
  frame: FrameOf<'receipt'>,
  mine: SideState,
): Promise<void> {
  const base = { conversationId: frame.conversationId, userId: caller.userId };
  const users = await deps.users.getUsers([caller.userId, peerId], deps.clock.now());
  const me = users.get(caller.userId) ?? { profile: undefined, connections: [] };
  const peer = users.get(peerId) ?? { profile: undefined, connections: [] };
  const showSeen = seenVisible(me.profile, peer.profile);
  const ownDevices = me.connections.filter((c) => c.connectionId !== caller.connectionId);
  // Every move reaches the peer. With read receipts off, a "seen" still moves the delivered
  // watermark (seen implies delivered); the peer is told that, with `seen: null`.
  await Promise.all([
    pushToConnections(deps, ownDevices, { type: 'status', ...base, ...watermarksFor(mine, true) }),
    pushToConnections(deps, peer.connections, { type: 'status', ...base, ...watermarksFor(mine, showSeen) }),
  ]);
}
