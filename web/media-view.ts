import type { UploadProgress } from '../client/media';
import type { MediaKind } from '../contract/media';
import type { MediaAttachment } from '../contract/protocol/frames';
import { h, icon } from './dom';
import { formatDuration, formatSize, knownDuration } from './media-files';

/** A message's media as a row shows it, whether it was received, is uploading or failed. */
export interface ShownMedia
  extends Pick<
    MediaAttachment,
    'kind' | 'size' | 'fileName' | 'width' | 'height' | 'durationMs' | 'preview'
  > {
  /** What to load now: a download URL or a local blob: URL; undefined while a fresh URL is fetched. */
  src?: string;
  /** The URL failed to load, even after a fresh one: offer to try again. */
  broken?: boolean;
  /** Moves on each renewal, so the element loads again even when the new URL is the same string. */
  version?: number;
}

export interface MediaActions {
  /** The element could not load `src` (most often an expired URL). */
  failed(src: string): void;
  /** The user asks to load a broken medium again. */
  reload(): void;
}

/** Thumbnails, players and previews are at most this wide; height follows the aspect ratio. */
const MAX_WIDTH = 260;
const MAX_HEIGHT = 320;

const NOUNS: Record<MediaKind, string> = { image: 'Photo', audio: 'Voice note', video: 'Video' };

/** The body of a media message: a thumbnail that opens the viewer, a voice note player or a video. */
export function mediaNode(media: ShownMedia, actions: MediaActions, caption: string): HTMLElement {
  if (media.broken) {
    const retry = h('button', { type: 'button', class: 'link' }, 'Try again');
    retry.addEventListener('click', () => actions.reload());
    return h(
      'p',
      { class: `media media-broken media-${media.kind}` },
      `${NOUNS[media.kind]} could not be loaded. `,
      retry,
    );
  }
  if (media.kind === 'image') return imageNode(media, actions, caption);
  if (media.kind === 'video') return videoNode(media, actions);
  return voiceNode(media, actions);
}

function sized(element: HTMLElement, media: ShownMedia): void {
  if (!media.width || !media.height) return;
  const scale = Math.min(1, MAX_WIDTH / media.width, MAX_HEIGHT / media.height);
  // The CSSOM, not a style attribute: the Content-Security-Policy forbids inline styles.
  element.style.width = `${Math.round(media.width * scale)}px`;
  element.style.aspectRatio = `${media.width} / ${media.height}`;
}

function onLoadError(element: HTMLImageElement | HTMLMediaElement, src: string, actions: MediaActions): void {
  element.addEventListener('error', () => actions.failed(src), { once: true });
}

function imageNode(media: ShownMedia, actions: MediaActions, caption: string): HTMLElement {
  const frame = h('button', {
    type: 'button',
    class: 'media media-image',
    'aria-label': `Open photo${media.fileName ? ` ${media.fileName}` : ''}`,
    'data-loaded': 'false',
  });
  sized(frame, media);
  if (media.preview) frame.append(h('img', { class: 'media-blur', src: media.preview, alt: '' }));
  const { src } = media;
  if (src) {
    const full = h('img', { class: 'media-full', src, alt: caption || 'Photo', decoding: 'async' });
    full.addEventListener('load', () => frame.setAttribute('data-loaded', 'true'), { once: true });
    onLoadError(full, src, actions);
    frame.append(full);
    frame.addEventListener('click', () => openViewer(src, caption, frame));
  } else {
    frame.disabled = true;
  }
  return frame;
}

function videoNode(media: ShownMedia, actions: MediaActions): HTMLElement {
  const video = h('video', {
    class: 'media media-video',
    controls: true,
    playsinline: true,
    preload: 'metadata',
    'aria-label': `Video${media.durationMs !== undefined ? `, ${formatDuration(media.durationMs)}` : ''}`,
    ...(media.preview && { poster: media.preview }),
  });
  sized(video, media);
  // A recorded WebM names no duration; without this the controls show none and cannot seek well.
  video.addEventListener('loadedmetadata', () => void knownDuration(video), { once: true });
  if (media.src) {
    onLoadError(video, media.src, actions);
    video.src = media.src;
  }
  return video;
}

/**
 * A voice note: play and pause, a slider to seek, the position and the duration. Recordings carry no
 * duration of their own (see knownDuration), so the message's durationMs is shown until the file tells.
 */
function voiceNode(media: ShownMedia, actions: MediaActions): HTMLElement {
  const audio = h('audio', { preload: 'metadata' });
  let duration = (media.durationMs ?? 0) / 1000;
  const play = h(
    'button',
    { type: 'button', class: 'icon-button play', 'aria-label': 'Play voice note' },
    icon('play'),
  );
  const seek = h('input', {
    type: 'range',
    class: 'seek',
    min: 0,
    max: Math.max(duration, 0.1),
    step: 0.05,
    value: 0,
    'aria-label': 'Position in the voice note',
  });
  const time = h('span', { class: 'voice-time' });
  const show = () => {
    time.textContent = `${formatDuration(audio.currentTime * 1000)} / ${formatDuration(duration * 1000)}`;
    seek.max = String(Math.max(duration, 0.1));
    seek.value = String(audio.currentTime);
    seek.setAttribute('aria-valuetext', time.textContent);
  };
  const playing = (on: boolean) => {
    play.replaceChildren(icon(on ? 'pause' : 'play'));
    play.setAttribute('aria-label', on ? 'Pause voice note' : 'Play voice note');
  };
  audio.addEventListener('loadedmetadata', async () => {
    const seconds = await knownDuration(audio);
    if (seconds !== undefined) duration = seconds;
    show();
  });
  audio.addEventListener('timeupdate', show);
  audio.addEventListener('play', () => playing(true));
  audio.addEventListener('pause', () => playing(false));
  audio.addEventListener('ended', () => {
    audio.currentTime = 0;
    show();
  });
  play.addEventListener('click', () => {
    if (audio.paused) void audio.play().catch(() => {});
    else audio.pause();
  });
  seek.addEventListener('input', () => {
    audio.currentTime = Number(seek.value);
    show();
  });
  if (media.src) {
    onLoadError(audio, media.src, actions);
    audio.src = media.src;
  } else {
    play.disabled = true;
    seek.disabled = true;
  }
  show();
  return h('div', { class: 'media media-voice' }, play, seek, time, audio);
}

/** The upload's bar and its Cancel button, on a media message that is being sent. */
export function uploadNode(messageId: string, progress: UploadProgress, cancel: () => void): HTMLElement {
  const button = h('button', { type: 'button', class: 'link' }, 'Cancel');
  button.addEventListener('click', cancel);
  const bar = h('progress', {
    max: progress.total,
    value: progress.loaded,
    'data-upload': messageId,
    'aria-label': 'Upload',
  });
  return h(
    'div',
    { class: 'upload' },
    bar,
    h('span', { class: 'upload-size' }, formatSize(progress.total)),
    button,
  );
}

/** Moves an upload's bar without rendering its message again. */
export function showProgress(root: HTMLElement, messageId: string, progress: UploadProgress): void {
  const bar = root.querySelector(`progress[data-upload="${CSS.escape(messageId)}"]`);
  if (!(bar instanceof HTMLProgressElement)) return;
  bar.max = progress.total;
  bar.value = progress.loaded;
  // Once the file is up the message is on its way and can no longer be cancelled.
  const cancel = bar.parentElement?.querySelector('button');
  if (cancel) cancel.hidden = progress.loaded >= progress.total;
}

/** The full-size viewer: a modal dialog that Escape, the close button or a click outside the photo closes. */
export function openViewer(src: string, caption: string, opener: HTMLElement): void {
  const close = h(
    'button',
    { type: 'button', class: 'icon-button viewer-close', 'aria-label': 'Close' },
    icon('close'),
  );
  const dialog = h(
    'dialog',
    { class: 'viewer', 'aria-label': caption || 'Photo' },
    close,
    h('img', { src, alt: caption || 'Photo' }),
    caption && h('p', { class: 'viewer-caption' }, caption),
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  keepKeysInside(dialog);
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

/** Escape closes the dialog only, not the conversation behind it (the app listens on the document). */
export function keepKeysInside(dialog: HTMLDialogElement): void {
  dialog.addEventListener('keydown', (event) => event.stopPropagation());
}

/** One line for the conversation list: "Photo: caption", "Voice note (0:07)", "Video". */
export function mediaSummary(media: { kind: MediaKind; durationMs?: number }, caption: string): string {
  const noun = NOUNS[media.kind];
  if (caption !== '') return `${noun}: ${caption}`;
  return media.durationMs !== undefined ? `${noun} (${formatDuration(media.durationMs)})` : noun;
}
