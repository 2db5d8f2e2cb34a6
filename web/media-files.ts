import { bareContentType } from '../client/media';
import { LIMITS } from '../contract/limits';
import { MEDIA_TYPES, type MediaKind, mediaKindOf } from '../contract/media';

/** What the app learns of a file before sending it; the library sends it along with the message. */
export interface FileFacts {
  kind: MediaKind;
  width?: number;
  height?: number;
  durationMs?: number;
  /** A tiny JPEG as a data: URL: the blurred placeholder of an image, the poster of a video. */
  preview?: string;
}

/** For the file picker: exactly the types the server accepts. */
export const ACCEPTED_TYPES = Object.values(MEDIA_TYPES).flat().join(',');

export function kindOfFile(file: Blob): MediaKind | undefined {
  return mediaKindOf(bareContentType(file.type));
}

/** Longest side of the preview, largest first: the first that fits the protocol's limit is sent. */
const PREVIEW_SIDES = [72, 48, 24];

/** Draws a picture small and encodes it as JPEG, as large as fits in LIMITS.maxPreviewLength. */
export function previewOf(source: CanvasImageSource, width: number, height: number): string | undefined {
  if (width < 1 || height < 1) return undefined;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  for (const side of PREVIEW_SIDES) {
    const scale = Math.min(1, side / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const url = canvas.toDataURL('image/jpeg', 0.6);
    if (url.startsWith('data:image/jpeg;base64,') && url.length <= LIMITS.maxPreviewLength) return url;
  }
  return undefined;
}

/** Size, duration and preview of a file, as far as the browser can tell; what it cannot is left out. */
export async function factsOf(file: Blob): Promise<FileFacts | undefined> {
  const kind = kindOfFile(file);
  if (kind === 'image') return { kind, ...(await imageFacts(file)) };
  if (kind === 'video') return { kind, ...(await playableFacts(file, 'video')) };
  if (kind === 'audio') return { kind, ...(await playableFacts(file, 'audio')) };
  return undefined;
}

async function imageFacts(file: Blob): Promise<Omit<FileFacts, 'kind'>> {
  try {
    const bitmap = await createImageBitmap(file);
    const { width, height } = bitmap;
    const preview = previewOf(bitmap, width, height);
    bitmap.close();
    return { width, height, ...(preview && { preview }) };
  } catch {
    // A file the browser cannot decode is still sent; the server checks what it really is.
    return {};
  }
}

async function playableFacts(file: Blob, tag: 'audio' | 'video'): Promise<Omit<FileFacts, 'kind'>> {
  const url = URL.createObjectURL(file);
  const element = document.createElement(tag);
  element.muted = true;
  element.preload = 'auto';
  element.src = url;
  try {
    if (!(await until(element, 'loadeddata'))) return {};
    const seconds = await knownDuration(element);
    const facts: Omit<FileFacts, 'kind'> =
      seconds === undefined ? {} : { durationMs: Math.round(seconds * 1000) };
    if (element instanceof HTMLVideoElement && element.videoWidth > 0) {
      // The first frame is often black: the poster comes from a little later.
      element.currentTime = Math.min(0.5, (seconds ?? 0) / 3);
      await until(element, 'seeked');
      const preview = previewOf(element, element.videoWidth, element.videoHeight);
      Object.assign(
        facts,
        { width: element.videoWidth, height: element.videoHeight },
        preview && { preview },
      );
    }
    return facts;
  } finally {
    element.removeAttribute('src');
    element.load();
    URL.revokeObjectURL(url);
  }
}

/**
 * The duration of a media element. Files recorded by MediaRecorder carry none (Chromium reports
 * Infinity) until the element has read to the end, which a seek far past the end makes it do.
 */
export async function knownDuration(element: HTMLMediaElement): Promise<number | undefined> {
  if (Number.isFinite(element.duration)) return element.duration;
  const changed = until(element, 'durationchange');
  element.currentTime = Number.MAX_SAFE_INTEGER;
  await changed;
  await new Promise((resolve) => setTimeout(resolve, 0));
  const duration = element.duration;
  element.currentTime = 0;
  return Number.isFinite(duration) ? duration : undefined;
}

/** Resolves true on the event, false on an error or after 5 s (a file the browser cannot play). */
function until(element: HTMLMediaElement, type: string): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      element.removeEventListener(type, onEvent);
      element.removeEventListener('error', onError);
      resolve(ok);
    };
    const onEvent = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), 5000);
    element.addEventListener(type, onEvent);
    element.addEventListener('error', onError);
  });
}

/** "0:07", "1:02:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** "1.2 MB", "840 KB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
