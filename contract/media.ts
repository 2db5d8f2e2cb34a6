/**
 * What may be uploaded, defined once for the server, the clients and the docs. The list is explicit:
 * nothing that a browser could render as a page or run as script (no SVG, no HTML) is ever accepted.
 */
export type MediaKind = 'image' | 'audio' | 'video';

export const MEDIA_TYPES = {
  image: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
  /** Opus in Ogg or WebM (what browsers record), AAC in MP4 (M4A), MP3. */
  audio: ['audio/ogg', 'audio/webm', 'audio/mp4', 'audio/mpeg'],
  video: ['video/mp4', 'video/webm', 'video/quicktime'],
} as const satisfies Record<MediaKind, readonly string[]>;

export type MediaContentType = (typeof MEDIA_TYPES)[MediaKind][number];

export const MEDIA_KINDS = Object.keys(MEDIA_TYPES) as MediaKind[];

/**
 * Where objects live in the media bucket. Uploads land in staging/ (presigned POSTs can write nowhere
 * else), and a lifecycle rule removes what no message claimed; a sent message's object is copied to
 * media/ and kept for life. Keys are random: they say nothing about the conversation.
 */
export const MEDIA_PREFIXES = { staging: 'staging/', kept: 'media/' } as const;

/** Largest object of each kind, in bytes. */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaKind, number>> = {
  image: 16 * 1024 * 1024,
  audio: 16 * 1024 * 1024,
  video: 100 * 1024 * 1024,
};

/** The kind a content type belongs to, or undefined when it is not on the list. */
export function mediaKindOf(contentType: string): MediaKind | undefined {
  return MEDIA_KINDS.find((kind) => (MEDIA_TYPES[kind] as readonly string[]).includes(contentType));
}
