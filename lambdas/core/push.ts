import { createHash, createPublicKey } from 'node:crypto';
import type { PushRequest } from '../../contract/invocations';
import { ChatError } from '../../contract/protocol/errors';
import type { EventOf, FrameOf } from '../../contract/protocol/frames';
import { connectionDeviceId, sideOf } from '../../contract/protocol/ids';
import { PUSH, type PushPayload, pushEndpointAllowed } from '../../contract/push';
import { type DeliveryDeps, pushToConnections } from './delivery';
import type {
  Caller,
  Clock,
  ConversationStore,
  Invoker,
  MessageStore,
  PushSender,
  PushStore,
  StoredMessage,
  UserState,
  UserStore,
} from './ports';

/**
 * Web Push, the server's half: subscriptions and mutes (actions), the decision in the send path (no
 * extra read: the profile the send already read lists the subscribed devices, the mutes and the live
 * connections), and the push function that builds the payload and sends it.
 */

export interface PushConfig {
  /** The deployment's VAPID public key (base64url), handed to browsers in every `pushSubscription`. */
  vapidPublicKey: string;
  /** Origins of the local push service; empty when deployed. */
  localPushOrigins: readonly string[];
}

/** Whether a base64url string is an uncompressed point on P-256, as the Push API's `p256dh` must be. */
function isP256Point(base64url: string): boolean {
  const bytes = Buffer.from(base64url, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 0x04) return false;
  try {
    // Importing checks that the point is on the curve.
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: bytes.subarray(1, 33).toString('base64url'),
        y: bytes.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    return true;
  } catch {
    return false;
  }
}

export interface SubscriptionDeps {
  push: PushStore;
  clock: Clock;
  config: PushConfig;
}

/** Stores or removes the caller's device's subscription: one device, one subscription. */
export async function setPushSubscription(
  deps: SubscriptionDeps,
  caller: Caller,
  frame: FrameOf<'setPushSubscription'>,
): Promise<EventOf<'pushSubscription'>> {
  if (caller.deviceId === connectionDeviceId(caller.connectionId)) {
    throw new ChatError('INVALID_FRAME', 'Connect with a deviceId to keep a push subscription');
  }
  const { subscription } = frame;
  if (subscription !== null) {
    if (!pushEndpointAllowed(subscription.endpoint, deps.config.localPushOrigins)) {
      throw new ChatError('PUSH_SERVICE_NOT_ALLOWED', 'The endpoint is not on a known push service');
    }
    if (!isP256Point(subscription.keys.p256dh)) {
      throw new ChatError('INVALID_FRAME', 'keys.p256dh is not a P-256 public key');
    }
    await deps.push.put({
      userId: caller.userId,
      deviceId: caller.deviceId,
      endpoint: subscription.endpoint,
      p256dh: subscription.keys.p256dh,
      auth: subscription.keys.auth,
      createdAt: deps.clock.now(),
      vapidPublicKey: deps.config.vapidPublicKey,
    });
  } else {
    await deps.push.remove(caller.userId, [caller.deviceId]);
  }
  return {
    type: 'pushSubscription',
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    subscribed: subscription !== null,
    vapidPublicKey: deps.config.vapidPublicKey,
  };
}

export interface MuteDeps extends DeliveryDeps {
  push: PushStore;
}

/** Mutes or unmutes a conversation of the caller's; their other connections are told. */
export async function muteConversation(
  deps: MuteDeps,
  caller: Caller,
  frame: FrameOf<'muteConversation'>,
): Promise<EventOf<'conversationMuted'>> {
  if (!sideOf(frame.conversationId, caller.userId)) {
    throw new ChatError('NOT_A_PARTICIPANT', 'This conversation is not yours');
  }
  if (!(await deps.push.setMuted(caller.userId, frame.conversationId, frame.muted))) {
    throw new ChatError('INVALID_FRAME', 'Your list of muted conversations is full; unmute one first');
  }
  const event: EventOf<'conversationMuted'> = {
    type: 'conversationMuted',
    conversationId: frame.conversationId,
    muted: frame.muted,
  };
  const { connections } = await deps.users.getUser(caller.userId, deps.clock.now());
  await pushToConnections(
    deps,
    connections.filter((c) => c.connectionId !== caller.connectionId),
    event,
  );
  return { ...event, ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }) };
}

/** The recipient's devices a message should be pushed to: subscribed, not connected, not muted. */
export function devicesToPush(recipient: UserState | undefined, conversationId: string): string[] {
  const profile = recipient?.profile;
  if (!profile || profile.muted.includes(conversationId)) return [];
  const live = new Set(recipient.connections.map((c) => c.deviceId));
  return profile.pushDevices.filter((deviceId) => !live.has(deviceId));
}

/**
 * The send path's one step: starts the push function for the recipient's offline devices. It runs
 * after the ack went out and its failure is only logged: a push never fails or delays a send.
 */
export async function requestPush(
  deps: { pushInvoker: Invoker<PushRequest> },
  recipient: UserState | undefined,
  message: StoredMessage,
): Promise<void> {
  const deviceIds = devicesToPush(recipient, message.conversationId);
  if (deviceIds.length === 0) return;
  try {
    await deps.pushInvoker.invokeAsync({
      conversationId: message.conversationId,
      seq: message.seq,
      to: message.to,
      deviceIds,
    });
  } catch (error) {
    console.warn('push not started', message.conversationId, message.seq, error);
  }
}

/** RFC 8030 §5.4 Topic: at most 32 characters of the URL-safe base64 alphabet; one per conversation. */
export function topicOf(conversationId: string): string {
  return createHash('sha256').update(conversationId).digest('base64url').slice(0, 32);
}

/** The start of a text, cut on a code point boundary. */
function previewOf(text: string): string | null {
  if (text === '') return null;
  if (text.length <= PUSH.previewLength) return text;
  const cut = text.slice(0, PUSH.previewLength);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

export function pushPayloadOf(message: StoredMessage, unread: number, previews: boolean): PushPayload {
  return {
    v: 1,
    type: 'message',
    conversationId: message.conversationId,
    from: message.from,
    seq: message.seq,
    sentAt: message.sentAt,
    unread,
    preview: previews ? previewOf(message.text) : null,
    media: message.media?.kind ?? null,
  };
}

export interface PushDeps {
  users: UserStore;
  push: PushStore;
  messages: Pick<MessageStore, 'page'>;
  conversations: Pick<ConversationStore, 'get'>;
  sender: PushSender;
  clock: Clock;
  config: PushConfig;
}

export type PushResult =
  | { kind: 'skipped'; reason: 'unknown' | 'seen' | 'superseded' | 'no-devices' }
  | { kind: 'pushed'; sent: number; removed: number; rejected: number };

/** The push service may take the request later: the function fails so that Lambda runs it again. */
export class PushRetryableError extends Error {
  override readonly name = 'PushRetryableError';
}

/**
 * The push function's work for one message. It reads again what may have changed since the send
 * decided (a device that connected meanwhile gets the message over its socket; a mute; the recipient
 * reading it elsewhere), and skips a message whose sender has written again since: that later
 * message's push carries the newer count, and the Topic makes it replace this one anyway.
 */
export async function deliverPush(deps: PushDeps, request: PushRequest): Promise<PushResult> {
  const { conversationId, seq, to } = request;
  const membership = sideOf(conversationId, to);
  if (!membership) return { kind: 'skipped', reason: 'unknown' };
  const [recipient, head, page] = await Promise.all([
    deps.users.getUser(to, deps.clock.now()),
    deps.conversations.get(conversationId),
    deps.messages.page({ conversationId, after: seq - 1, before: seq + 1, order: 'asc', limit: 1 }),
  ]);
  const message = page.messages[0];
  if (!recipient.profile || !head || !message) return { kind: 'skipped', reason: 'unknown' };
  const mine = head[membership.side];
  if (mine.seen >= seq) return { kind: 'skipped', reason: 'seen' };
  if (head.lastSeq > seq && head.lastMessage?.from === message.from) {
    return { kind: 'skipped', reason: 'superseded' };
  }
  const deviceIds = devicesToPush(recipient, conversationId).filter((id) => request.deviceIds.includes(id));
  if (deviceIds.length === 0) return { kind: 'skipped', reason: 'no-devices' };

  const subscriptions = await deps.push.get(to, deviceIds);
  const unread = Math.max(0, head.lastSeq - Math.max(mine.seen, mine.cleared));
  const payload = JSON.stringify(pushPayloadOf(message, unread, recipient.profile.pushPreviews));
  const delivery = { topic: topicOf(conversationId), ttlSeconds: PUSH.ttlSeconds, urgency: PUSH.urgency };
  const outcomes = await Promise.all(
    subscriptions.map((subscription) =>
      // Stored subscriptions were checked when set; this guards against any written otherwise. One made
      // with an earlier VAPID key would be refused by its push service for good: it is dead too.
      !pushEndpointAllowed(subscription.endpoint, deps.config.localPushOrigins) ||
      subscription.vapidPublicKey !== deps.config.vapidPublicKey
        ? Promise.resolve('gone' as const)
        : deps.sender.send(subscription, payload, delivery),
    ),
  );
  const gone = subscriptions.filter((_, i) => outcomes[i] === 'gone').map((s) => s.deviceId);
  if (gone.length > 0) await deps.push.remove(to, gone);
  const failed = outcomes.filter((outcome) => outcome === 'failed').length;
  if (failed > 0) throw new PushRetryableError(`${failed} of ${outcomes.length} pushes failed; retrying`);
  return {
    kind: 'pushed',
    sent: outcomes.filter((outcome) => outcome === 'sent').length,
    removed: gone.length,
    rejected: outcomes.filter((outcome) => outcome === 'rejected').length,
  };
}
