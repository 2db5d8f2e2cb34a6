import { LIMITS } from '../contract/limits';
import { MEDIA_MAX_BYTES, type MediaContentType, type MediaKind, mediaKindOf } from '../contract/media';
import type { EventOf, MediaAttachment } from '../contract/protocol/frames';
import { ChatClientError } from './errors';

export type UploadSlot = EventOf<'uploadSlot'>;

export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  total: number;
}

export interface UploadOptions {
  fileName?: string;
  signal: AbortSignal;
  onProgress(progress: UploadProgress): void;
}

/**
 * Posts a file to an upload slot: every field of `slot.fields`, then the file as `file`. Resolves once
 * the store accepted it; rejects with UPLOAD_FAILED, or CANCELLED when the signal aborts it.
 */
export type Uploader = (slot: UploadSlot, file: Blob, options: UploadOptions) => Promise<void>;

/** What `ChatClient.sendMedia` takes. Only `to` and `file` are required. */
export interface MediaInput {
  to: string;
  /** A Blob or File; its type, without parameters, is the content type. */
  file: Blob;
  /** Default: the kind the file's type belongs to (contract/media.ts). */
  kind?: MediaKind;
  caption?: string;
  /** Default: the File's name, if it is a File. */
  fileName?: string;
  width?: number;
  height?: number;
  durationMs?: number;
  /** A `data:` URL of a tiny JPEG, PNG or WebP (at most LIMITS.maxPreviewLength characters). */
  preview?: string;
  /** Default: a new random id. Keep it to retry the same message. */
  messageId?: string;
  /** Aborting cancels the message while its file uploads; once the file is up, the send goes on. */
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
}

/** An outgoing media message's file and what the sender knows of it. */
export interface OutgoingMedia {
  readonly file: Blob;
  readonly kind: MediaKind;
  readonly contentType: MediaContentType;
  readonly size: number;
  readonly fileName?: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  readonly preview?: string;
}

/** "audio/webm;codecs=opus" → "audio/webm": the protocol takes content types without parameters. */
export function bareContentType(type: string): string {
  return (type.split(';')[0] ?? '').trim().toLowerCase();
}

/** A file name the protocol accepts: no path separators or control characters, at most 200 characters. */
export function safeFileName(name: string | undefined): string | undefined {
  const cleaned = (name ?? '').replace(/[/\\\p{Cc}]/gu, '_').slice(0, LIMITS.maxFileNameLength);
  return cleaned.trim() === '' ? undefined : cleaned;
}

/**
 * Checks a file against the contract before anything is sent, so that a file the server would refuse
 * fails at once, with the same codes (MEDIA_TYPE_NOT_ALLOWED, MEDIA_TOO_LARGE, UPLOAD_INVALID).
 */
export function describeMedia(input: MediaInput): OutgoingMedia {
  const { file } = input;
  const contentType = bareContentType(file.type);
  const kindOfType = mediaKindOf(contentType);
  if (kindOfType === undefined || (input.kind !== undefined && input.kind !== kindOfType)) {
    throw new ChatClientError(
      'MEDIA_TYPE_NOT_ALLOWED',
      `${contentType || 'a file of unknown type'} cannot be sent${input.kind ? ` as ${input.kind}` : ''}`,
    );
  }
  if (file.size === 0) throw new ChatClientError('UPLOAD_INVALID', 'The file is empty');
  if (file.size > MEDIA_MAX_BYTES[kindOfType]) {
    throw new ChatClientError(
      'MEDIA_TOO_LARGE',
      `${file.size} bytes is over the ${MEDIA_MAX_BYTES[kindOfType]} bytes allowed for ${kindOfType}`,
    );
  }
  const preview =
    input.preview !== undefined &&
    input.preview.length <= LIMITS.maxPreviewLength &&
    /^data:image\/(jpeg|png|webp);base64,/.test(input.preview)
      ? input.preview
      : undefined;
  const fileName = safeFileName(input.fileName ?? ('name' in file ? String(file.name) : undefined));
  return {
    file,
    kind: kindOfType,
    contentType: contentType as MediaContentType,
    size: file.size,
    ...(fileName !== undefined && { fileName }),
    ...positive('width', input.width),
    ...positive('height', input.height),
    ...(input.durationMs !== undefined &&
      Number.isFinite(input.durationMs) &&
      input.durationMs >= 0 && { durationMs: Math.round(input.durationMs) }),
    ...(preview !== undefined && { preview }),
  };
}

function positive<K extends 'width' | 'height'>(
  name: K,
  value: number | undefined,
): Partial<Record<K, number>> {
  if (value === undefined || !Number.isFinite(value) || value < 1) return {};
  return { [name]: Math.round(value) } as Record<K, number>;
}

/** The `media` part of a sendMessage frame: the slot, and what the sender knows of the file. */
export function mediaPartOf(media: OutgoingMedia, uploadId: string) {
  const { width, height, durationMs, preview } = media;
  return {
    uploadId,
    ...(width !== undefined && { width }),
    ...(height !== undefined && { height }),
    ...(durationMs !== undefined && { durationMs }),
    ...(preview !== undefined && { preview }),
  };
}

/**
 * The attachment of our own message as the ack stores it. The ack names no download URL, so `url` is
 * "" and `urlExpiresAt` 0 until `ChatClient.refreshMediaUrl` fetches one.
 */
export function sentAttachment(media: OutgoingMedia): MediaAttachment {
  const { file: _file, ...known } = media;
  return { ...known, url: '', urlExpiresAt: 0 };
}

/** True when the URL can still be used for a while; otherwise ask `getMediaUrl` for a fresh one. */
export function mediaUrlUsable(media: Pick<MediaAttachment, 'url' | 'urlExpiresAt'>, now: number): boolean {
  // A minute of margin covers clock skew and a download that starts a little later.
  return media.url !== '' && media.urlExpiresAt - 60_000 > now;
}

/** The send refused the upload for good: a new slot and a new upload may still succeed. */
export function isUploadGone(error: unknown): boolean {
  return (
    error instanceof ChatClientError && (error.code === 'UPLOAD_EXPIRED' || error.code === 'UPLOAD_NOT_FOUND')
  );
}

export interface MediaUploadDeps {
  requestSlot(media: OutgoingMedia): Promise<UploadSlot>;
  upload: Uploader;
  progress(progress: UploadProgress): void;
}

/**
 * One file's way into the bucket, kept across the attempts to send its message: a finished upload is
 * reused by every later attempt (after a reconnect only the message goes again), concurrent attempts
 * share one upload, and an upload that did not finish starts over with a new slot, as its slot may
 * have expired meanwhile.
 */
export class MediaUpload {
  private uploadedAs: string | undefined;
  private running: Promise<string> | undefined;
  private readonly aborter = new AbortController();
  private current: UploadProgress;

  constructor(
    readonly media: OutgoingMedia,
    private readonly deps: MediaUploadDeps,
  ) {
    this.current = { loaded: 0, total: media.size };
  }

  get progress(): UploadProgress {
    return { ...this.current };
  }

  /** The file is in the bucket; from here on only the message is (re)sent. */
  get uploaded(): boolean {
    return this.uploadedAs !== undefined;
  }

  get cancelled(): boolean {
    return this.aborter.signal.aborted;
  }

  /** The uploadId of a finished upload, uploading first when there is none. */
  uploadId(): Promise<string> {
    if (this.uploadedAs !== undefined) return Promise.resolve(this.uploadedAs);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The server no longer accepts this upload (see isUploadGone): the next uploadId() uploads again. */
  discard(): void {
    this.uploadedAs = undefined;
    this.report({ loaded: 0, total: this.media.size });
  }

  /** Stops the upload for good; false when the file is up already, as the message may be on its way. */
  cancel(): boolean {
    if (this.uploadedAs !== undefined) return false;
    this.aborter.abort();
    return true;
  }

  private async run(): Promise<string> {
    const { signal } = this.aborter;
    if (signal.aborted) throw cancelled();
    this.report({ loaded: 0, total: this.media.size });
    const slot = await this.deps.requestSlot(this.media);
    if (signal.aborted) throw cancelled();
    await this.deps.upload(slot, this.media.file, {
      ...(this.media.fileName !== undefined && { fileName: this.media.fileName }),
      signal,
      onProgress: (progress) => this.report(progress),
    });
    if (signal.aborted) throw cancelled();
    this.uploadedAs = slot.uploadId;
    this.report({ loaded: this.media.size, total: this.media.size });
    return slot.uploadId;
  }

  private report(progress: UploadProgress): void {
    this.current = { ...progress };
    this.deps.progress(this.progress);
  }
}

export function cancelled(): ChatClientError {
  return new ChatClientError('CANCELLED', 'The upload was cancelled');
}
