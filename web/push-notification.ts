import type { MediaKind } from '../contract/media';
import { CONVERSATION_ID_PATTERN, USER_ID_PATTERN } from '../contract/protocol/ids';
import type { PushPayload } from '../contract/push';

/**
 * What the service worker shows for a push (docs/protocol.md, "Push notifications"). Kept apart from
 * web/sw.ts so that it is tested without a browser, and free of the DOM so that the worker stays small.
 */

/** What the notification carries for its click: the conversation to open. */
export interface NotificationData {
  conversationId: string | null;
}

export interface PushNotification {
  title: string;
  /** `renotify` and `timestamp` are in the Notifications standard, not yet in TypeScript's DOM types. */
  options: NotificationOptions & { renotify?: boolean; timestamp?: number; data: NotificationData };
}

const MEDIA_LABELS: Record<MediaKind, string> = {
  image: '📷 Photo',
  audio: '🎤 Voice message',
  video: '🎬 Video',
};

/** The tag of the notification shown for a payload that could not be read: they replace each other. */
export const GENERIC_TAG = 'chat';

/**
 * The payload, or undefined when it is not one this worker understands (another version, or bytes
 * that are not JSON): the push is still shown, generically, because browsers penalise a push that
 * shows nothing when subscribed with `userVisibleOnly`.
 */
export function parsePushPayload(text: string | undefined): PushPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, type, conversationId, from, seq, sentAt, unread, preview, media } = value as Record<
    string,
    unknown
  >;
  const valid =
    v === 1 &&
    type === 'message' &&
    typeof conversationId === 'string' &&
    CONVERSATION_ID_PATTERN.test(conversationId) &&
    typeof from === 'string' &&
    USER_ID_PATTERN.test(from) &&
    Number.isSafeInteger(seq) &&
    Number.isSafeInteger(sentAt) &&
    Number.isSafeInteger(unread) &&
    (preview === null || typeof preview === 'string') &&
    (media === null || (typeof media === 'string' && Object.hasOwn(MEDIA_LABELS, media)));
  if (!valid) return undefined;
  return {
    v,
    type,
    conversationId,
    from,
    seq: seq as number,
    sentAt: sentAt as number,
    unread: unread as number,
    preview,
    media: media as MediaKind | null,
  };
}

/** One notification per conversation (its tag), updated by every push of that conversation. */
export function notificationFor(payload: PushPayload | undefined): PushNotification {
  if (!payload) {
    return {
      title: 'Chat',
      options: { body: 'New message', tag: GENERIC_TAG, renotify: true, data: { conversationId: null } },
    };
  }
  return {
    title: payload.from,
    options: {
      body: bodyOf(payload),
      tag: payload.conversationId,
      // A new message in the same conversation alerts again instead of updating silently.
      renotify: true,
      timestamp: payload.sentAt,
      data: { conversationId: payload.conversationId },
    },
  };
}

function bodyOf({ unread, preview, media }: PushPayload): string {
  if (unread > 1) return `${unread} new messages`;
  if (media) return preview ? `${MEDIA_LABELS[media]}: ${preview}` : MEDIA_LABELS[media];
  return preview ?? 'New message';
}
