import { randomBytes } from 'node:crypto';
import { LIMITS } from '../../contract/limits';
import { MEDIA_MAX_BYTES, MEDIA_PREFIXES, MEDIA_TYPES, type MediaContentType } from '../../contract/media';
import { ChatError } from '../../contract/protocol/errors';
import type { ChatMessage, FrameOf, ServerEvent } from '../../contract/protocol/frames';
import { sideOf } from '../../contract/protocol/ids';
import type {
  Caller,
  Clock,
  ConversationStore,
  MediaLinks,
  MediaObjects,
  MessageStore,
  StoredMedia,
  StoredMessage,
  TypeSniffer,
  UploadPresigner,
  UploadSlot,
  UploadSlotStore,
} from './ports';

export interface UploadDeps {
  slots: UploadSlotStore;
  presigner: UploadPresigner;
  clock: Clock;
  uploadSlotTtlMs: number;
  uploadClaimMs: number;
}

export interface AttachDeps {
  slots: UploadSlotStore;
  objects: MediaObjects;
  sniff: TypeSniffer;
  clock: Clock;
}

export interface LinkDeps {
  links: MediaLinks;
  clock: Clock;
}

/** Bytes read from the start of an upload to sniff its type: enough for every container on the list. */
export const SNIFF_BYTES = 4100;

/**
 * What the sniffer may report for each allowed type. It reads the container, not the codec: a WebM
 * voice note reads as video/webm, an M4A from a browser's recorder may carry a plain MP4 brand, an
 * animated PNG reads as image/apng.
 */
export const SNIFFED_AS: Readonly<Record<MediaContentType, readonly string[]>> = {
  'image/jpeg': ['image/jpeg'],
  'image/png': ['image/png', 'image/apng'],
  'image/webp': ['image/webp'],
  'image/gif': ['image/gif'],
  'audio/ogg': ['audio/ogg', 'audio/ogg; codecs=opus', 'audio/opus'],
  'audio/webm': ['audio/webm', 'video/webm'],
  'audio/mp4': ['audio/mp4', 'audio/x-m4a', 'video/mp4'],
  'audio/mpeg': ['audio/mpeg'],
  'video/mp4': ['video/mp4', 'video/x-m4v'],
  'video/webm': ['video/webm'],
  'video/quicktime': ['video/quicktime'],
};

/** 128 random bits, URL- and key-safe: object keys and slot ids cannot be guessed. */
const randomToken = () => randomBytes(16).toString('base64url');

const replyTo = (requestId: string | undefined) => (requestId === undefined ? {} : { requestId });

/** Hands out an upload slot: a presigned POST for one object of the declared type and at most its size. */
export async function requestUpload(
  deps: UploadDeps,
  caller: Caller,
  frame: FrameOf<'requestUpload'>,
): Promise<ServerEvent> {
  const allowed: readonly string[] = MEDIA_TYPES[frame.kind];
  if (!allowed.includes(frame.contentType)) {
    throw new ChatError('MEDIA_TYPE_NOT_ALLOWED', `${frame.kind} must be one of ${allowed.join(', ')}`);
  }
  const limit = MEDIA_MAX_BYTES[frame.kind];
  if (frame.size > limit) {
    throw new ChatError('MEDIA_TOO_LARGE', `An ${frame.kind} may have at most ${limit} bytes`);
  }
  const now = deps.clock.now();
  // The POST policy's expiry has whole seconds.
  const expiresInSeconds = Math.max(1, Math.ceil(deps.uploadSlotTtlMs / 1000));
  const slot: UploadSlot = {
    uploadId: `u-${randomToken()}`,
    userId: caller.userId,
    kind: frame.kind,
    contentType: frame.contentType as MediaContentType,
    maxBytes: frame.size,
    ...(frame.fileName === undefined ? {} : { fileName: frame.fileName }),
    stagingKey: `${MEDIA_PREFIXES.staging}${caller.userId}/${randomToken()}`,
    mediaKey: `${MEDIA_PREFIXES.kept}${randomToken()}`,
    createdAt: now,
    expiresAt: now + expiresInSeconds * 1000,
    claimableUntil: now + deps.uploadClaimMs,
  };
  const post = await deps.presigner.presignPost({
    key: slot.stagingKey,
    contentType: slot.contentType,
    maxBytes: slot.maxBytes,
    expiresInSeconds,
  });
  await deps.slots.create(slot);
  return {
    type: 'uploadSlot',
    ...replyTo(frame.requestId),
    uploadId: slot.uploadId,
    url: post.url,
    fields: post.fields,
    maxBytes: slot.maxBytes,
    expiresAt: slot.expiresAt,
  };
}

/** Checks what S3 holds under the slot's key: it exists, fits the slot, and its bytes are the declared type. */
async function verifyUpload(deps: AttachDeps, slot: UploadSlot): Promise<number> {
  const size = await deps.objects.size(slot.stagingKey);
  if (size === undefined) throw new ChatError('UPLOAD_NOT_FOUND', `Nothing was uploaded to ${slot.uploadId}`);
  if (size > slot.maxBytes) {
    throw new ChatError('UPLOAD_INVALID', `The upload has ${size} bytes; its slot allows ${slot.maxBytes}`);
  }
  const sniffed = await deps.sniff(await deps.objects.firstBytes(slot.stagingKey, SNIFF_BYTES));
  if (sniffed === undefined || !SNIFFED_AS[slot.contentType].includes(sniffed)) {
    throw new ChatError('UPLOAD_INVALID', `The upload is not ${slot.contentType}`);
  }
  return size;
}

/**
 * Turns a message's media part into the media it stores: verifies the caller's upload, binds its slot to
 * this message (one conditional write, so a slot backs one message however many sends race), and
 * copies the object out of staging, where the lifecycle rule would remove it. A retry of the same
 * message finds the slot bound to it and skips to the copy, which is idempotent.
 */
export async function attachUpload(
  deps: AttachDeps,
  caller: Caller,
  message: { conversationId: string; messageId: string },
  part: NonNullable<FrameOf<'sendMessage'>['media']>,
): Promise<StoredMedia> {
  const slot = await deps.slots.get(caller.userId, part.uploadId);
  if (!slot) throw new ChatError('UPLOAD_NOT_FOUND', `You have no upload ${part.uploadId}`);
  const claimant = `${message.conversationId}/${message.messageId}`;
  if (slot.claimedBy !== undefined && slot.claimedBy !== claimant) {
    throw new ChatError('UPLOAD_USED', `Upload ${part.uploadId} already backs another message`);
  }
  // A slot bound to this message was verified by the send that bound it: a retry does not check again.
  let size = slot.size;
  if (slot.claimedBy === undefined || size === undefined) {
    if (deps.clock.now() > slot.claimableUntil) {
      throw new ChatError('UPLOAD_EXPIRED', `Upload ${part.uploadId} expired; ask for a new slot`);
    }
    size = await verifyUpload(deps, slot);
    if (!(await deps.slots.claim(caller.userId, slot.uploadId, claimant, size))) {
      throw new ChatError('UPLOAD_USED', `Upload ${part.uploadId} already backs another message`);
    }
  }
  // The staging copy may be gone on a late retry (lifecycle rule); then the kept copy must exist.
  const copied = await deps.objects.copy(slot.stagingKey, slot.mediaKey, slot.contentType);
  if (!copied && (await deps.objects.size(slot.mediaKey)) === undefined) {
    throw new ChatError('UPLOAD_NOT_FOUND', `Nothing was uploaded to ${slot.uploadId}`);
  }
  return {
    kind: slot.kind,
    contentType: slot.contentType,
    size,
    ...(slot.fileName === undefined ? {} : { fileName: slot.fileName }),
    ...(part.width === undefined ? {} : { width: part.width }),
    ...(part.height === undefined ? {} : { height: part.height }),
    ...(part.durationMs === undefined ? {} : { durationMs: part.durationMs }),
    ...(part.preview === undefined ? {} : { preview: part.preview }),
    key: slot.mediaKey,
  };
}

async function freshUrl(deps: LinkDeps, media: StoredMedia): Promise<{ url: string; urlExpiresAt: number }> {
  const url = await deps.links.downloadUrl(media, LIMITS.mediaUrlTtlMs / 1000);
  return { url, urlExpiresAt: deps.clock.now() + LIMITS.mediaUrlTtlMs };
}

/** A stored message as clients get it: its media with a fresh download URL, the key left out. */
export async function linkMedia(deps: LinkDeps, message: StoredMessage): Promise<ChatMessage> {
  const { media, ...rest } = message;
  if (!media) return rest;
  const { key: _key, ...attachment } = media;
  return { ...rest, media: { ...attachment, ...(await freshUrl(deps, media)) } };
}

export const linkAll = (deps: LinkDeps, messages: readonly StoredMessage[]) =>
  Promise.all(messages.map((message) => linkMedia(deps, message)));

/** A fresh download URL for a media message, for its two participants only. */
export async function getMediaUrl(
  deps: LinkDeps & { conversations: Pick<ConversationStore, 'get'>; messages: Pick<MessageStore, 'page'> },
  callerId: string,
  frame: FrameOf<'getMediaUrl'>,
): Promise<ServerEvent> {
  const membership = sideOf(frame.conversationId, callerId);
  if (!membership) throw new ChatError('NOT_A_PARTICIPANT', 'You are not in this conversation');
  const head = await deps.conversations.get(frame.conversationId);
  if (!head) throw new ChatError('UNKNOWN_CONVERSATION', 'This conversation has no messages');
  const { messages } = await deps.messages.page({
    conversationId: frame.conversationId,
    // History the caller cleared (hideConversation) stays out of reach, as in getMessages.
    after: Math.max(frame.seq - 1, head[membership.side].cleared),
    before: frame.seq + 1,
    order: 'asc',
    limit: 1,
  });
  const media = messages[0]?.media;
  if (!media) throw new ChatError('NO_MEDIA', `Message ${frame.seq} has no media`);
  return {
    type: 'mediaUrl',
    ...replyTo(frame.requestId),
    conversationId: frame.conversationId,
    seq: frame.seq,
    ...(await freshUrl(deps, media)),
  };
}
