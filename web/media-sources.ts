import type { ChatClient } from '../client/chat-client';
import { isDisconnected } from '../client/errors';
import { mediaUrlUsable, type OutgoingMedia } from '../client/media';
import type { ChatMessage, MediaAttachment } from '../contract/protocol/frames';
import type { MediaActions, ShownMedia } from './media-view';

/**
 * Where each message's media load from. Our own files are shown from memory (a blob: URL) for as long
 * as the page lives; other media from their presigned URL, renewed through getMediaUrl when it has
 * expired, when it is missing (our own messages after a reload) or when loading fails. A URL that
 * fails again after renewal marks the medium broken until the user asks to try again.
 */
export class MediaSources {
  private readonly local = new Map<string, string>();
  /** The URL each message's element was built with: kept while it loads, so a render does not restart playback. */
  private readonly shown = new Map<string, string>();
  private readonly renewed = new Set<string>();
  private readonly renewing = new Set<string>();
  private readonly broken = new Set<string>();
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly client: ChatClient,
    private readonly changed: (conversationId: string) => void,
  ) {}

  /** Shows our own file from memory, now and after its ack. */
  remember(messageId: string, file: Blob): void {
    if (!this.local.has(messageId)) this.local.set(messageId, URL.createObjectURL(file));
  }

  forget(messageId: string): void {
    const url = this.local.get(messageId);
    if (url) URL.revokeObjectURL(url);
    this.local.delete(messageId);
  }

  dispose(): void {
    for (const url of this.local.values()) URL.revokeObjectURL(url);
    this.local.clear();
  }

  /** An outgoing file, shown from memory while it uploads or after it failed. */
  ofOutgoing(messageId: string, media: OutgoingMedia): ShownMedia {
    this.remember(messageId, media.file);
    const src = this.local.get(messageId);
    return { ...facts(media), ...(src && { src }) };
  }

  ofMessage(message: ChatMessage & { media: MediaAttachment }): ShownMedia {
    const key = keyOf(message);
    if (this.broken.has(key)) return { ...facts(message.media), broken: true };
    let src = this.local.get(message.messageId) ?? this.shown.get(key);
    if (src === undefined) {
      if (mediaUrlUsable(message.media, Date.now())) {
        src = message.media.url;
        this.shown.set(key, src);
      } else {
        this.renew(message);
      }
    }
    const version = this.versions.get(key);
    return { ...facts(message.media), ...(src && { src }), ...(version !== undefined && { version }) };
  }

  actions(message: ChatMessage): MediaActions {
    const key = keyOf(message);
    return {
      failed: (src) => {
        if (this.shown.get(key) !== src) return;
        this.shown.delete(key);
        if (this.renewed.has(key)) {
          this.broken.add(key);
          this.changed(message.conversationId);
        } else {
          this.renew(message);
        }
      },
      reload: () => {
        this.broken.delete(key);
        this.renewed.delete(key);
        this.renew(message);
        this.changed(message.conversationId);
      },
    };
  }

  private renew(message: ChatMessage): void {
    const key = keyOf(message);
    if (this.renewing.has(key)) return;
    this.renewing.add(key);
    this.client.refreshMediaUrl(message.conversationId, message.seq).then(
      (reply) => {
        this.renewing.delete(key);
        this.renewed.add(key);
        this.shown.set(key, reply.url);
        this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
        this.changed(message.conversationId);
      },
      (error: unknown) => {
        this.renewing.delete(key);
        // Without a connection the next render, after the reconnect, asks again.
        if (isDisconnected(error)) return;
        this.broken.add(key);
        this.changed(message.conversationId);
      },
    );
  }
}

function keyOf(message: Pick<ChatMessage, 'conversationId' | 'seq'>): string {
  return `${message.conversationId} ${message.seq}`;
}

function facts(media: OutgoingMedia | MediaAttachment): ShownMedia {
  const { kind, size, fileName, width, height, durationMs, preview } = media;
  return {
    kind,
    size,
    ...(fileName !== undefined && { fileName }),
    ...(width !== undefined && { width }),
    ...(height !== undefined && { height }),
    ...(durationMs !== undefined && { durationMs }),
    ...(preview !== undefined && { preview }),
  };
}
