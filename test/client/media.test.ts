import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient } from '../../client/chat-client';
import { ChatClientError } from '../../client/errors';
import {
  bareContentType,
  describeMedia,
  MediaUpload,
  mediaUrlUsable,
  type UploadOptions,
  type UploadSlot,
} from '../../client/media';
import { uploadError, uploadForm } from '../../client/upload';
import { MEDIA_MAX_BYTES } from '../../contract/media';
import type { ServerEvent } from '../../contract/protocol/frames';
import { FakeSocket } from '../support/fake-socket';

function slot(uploadId: string, requestId?: string): UploadSlot {
  return {
    type: 'uploadSlot',
    ...(requestId !== undefined && { requestId }),
    uploadId,
    url: 'http://bucket.test/',
    fields: { key: `staging/alice/${uploadId}`, 'Content-Type': 'image/png', Policy: 'p' },
    maxBytes: 4,
    expiresAt: 300_000,
  };
}

const png = () => new File([new Uint8Array([137, 80, 78, 71])], 'cat.png', { type: 'image/png' });

/** An upload the test finishes, fails or watches, one per call of the uploader. */
interface UploadCall {
  slot: UploadSlot;
  options: UploadOptions;
  finish(): void;
  fail(error: ChatClientError): void;
}

function fakeUploader() {
  const calls: UploadCall[] = [];
  const upload = (uploadSlot: UploadSlot, _file: Blob, options: UploadOptions) =>
    new Promise<void>((resolve, reject) => {
      options.signal.addEventListener('abort', () => reject(new ChatClientError('CANCELLED', 'aborted')));
      calls.push({ slot: uploadSlot, options, finish: resolve, fail: reject });
    });
  return { calls, upload };
}

describe('describing a file before it is sent', () => {
  it('takes the content type without parameters and the kind it belongs to', () => {
    const voice = new Blob([new Uint8Array(10)], { type: 'audio/webm;codecs=opus' });
    expect(bareContentType('Audio/WebM; codecs=opus')).toBe('audio/webm');
    expect(describeMedia({ to: 'bob', file: voice, durationMs: 1234.4 })).toMatchObject({
      kind: 'audio',
      contentType: 'audio/webm',
      size: 10,
      durationMs: 1234,
    });
  });

  it('refuses what the server would refuse, with the same codes', () => {
    const svg = new Blob(['<svg/>'], { type: 'image/svg+xml' });
    expect(() => describeMedia({ to: 'bob', file: svg })).toThrow(
      expect.objectContaining({ code: 'MEDIA_TYPE_NOT_ALLOWED' }),
    );
    expect(() => describeMedia({ to: 'bob', file: png(), kind: 'video' })).toThrow(
      expect.objectContaining({ code: 'MEDIA_TYPE_NOT_ALLOWED' }),
    );
    expect(() => describeMedia({ to: 'bob', file: new Blob([], { type: 'image/png' }) })).toThrow(
      expect.objectContaining({ code: 'UPLOAD_INVALID' }),
    );
    const huge = { type: 'image/png', size: MEDIA_MAX_BYTES.image + 1 } as Blob;
    expect(() => describeMedia({ to: 'bob', file: huge })).toThrow(
      expect.objectContaining({ code: 'MEDIA_TOO_LARGE' }),
    );
  });

  it('names the file after the File, made safe, and drops a preview the server would refuse', () => {
    const file = new File([new Uint8Array(3)], 'a/b\\c\u0007.png', { type: 'image/png' });
    const big = `data:image/jpeg;base64,${'A'.repeat(7000)}`;
    const media = describeMedia({ to: 'bob', file, preview: big, width: 0, height: 20.6 });
    expect(media.fileName).toBe('a_b_c_.png');
    expect(media).not.toHaveProperty('preview');
    expect(media).not.toHaveProperty('width');
    expect(media.height).toBe(21);
  });
});

describe('the upload request', () => {
  it('posts every field of the slot in order, then the file as the last field', () => {
    const form = uploadForm(slot('u1'), png(), 'cat.png');
    expect([...form.keys()]).toEqual(['key', 'Content-Type', 'Policy', 'file']);
    expect(form.get('Content-Type')).toBe('image/png');
    expect((form.get('file') as File).name).toBe('cat.png');
  });

  it("says why S3 refused an upload, from its error document's code", () => {
    const body = '<?xml version="1.0"?><Error><Code>EntityTooLarge</Code><Message>big</Message></Error>';
    expect(uploadError(400, body)).toMatchObject({
      code: 'UPLOAD_FAILED',
      message: expect.stringContaining('EntityTooLarge'),
    });
    expect(uploadError(0, '')).toMatchObject({ code: 'UPLOAD_FAILED' });
  });

  it('knows when a download URL needs renewing', () => {
    expect(mediaUrlUsable({ url: 'http://x/1', urlExpiresAt: 1_000_000 }, 0)).toBe(true);
    expect(mediaUrlUsable({ url: 'http://x/1', urlExpiresAt: 1_000_000 }, 950_000)).toBe(false);
    expect(mediaUrlUsable({ url: '', urlExpiresAt: 0 }, 0)).toBe(false);
  });
});

/** An upload of a PNG whose slots are numbered u1, u2, … and whose transfers the test finishes or fails. */
function pngUpload() {
  const uploader = fakeUploader();
  let slots = 0;
  const upload = new MediaUpload(describeMedia({ to: 'bob', file: png() }), {
    requestSlot: async () => slot(`u${++slots}`),
    upload: uploader.upload,
    progress: () => {},
  });
  return { uploader, upload };
}

describe('one file upload', () => {
  it('uploads once for concurrent callers, and reuses a finished upload until it is discarded', async () => {
    const { uploader, upload } = pngUpload();
    const first = upload.uploadId();
    const second = upload.uploadId();
    await vi.waitFor(() => expect(uploader.calls).toHaveLength(1));
    uploader.calls[0]?.finish();
    expect(await Promise.all([first, second])).toEqual(['u1', 'u1']);
    expect(await upload.uploadId()).toBe('u1');
    expect(upload.cancel()).toBe(false);

    upload.discard();
    const third = upload.uploadId();
    await vi.waitFor(() => expect(uploader.calls).toHaveLength(2));
    uploader.calls[1]?.finish();
    expect(await third).toBe('u2');
  });

  it('starts over with a new slot when an upload did not finish', async () => {
    const { uploader, upload } = pngUpload();
    const failed = upload.uploadId();
    await vi.waitFor(() => expect(uploader.calls).toHaveLength(1));
    uploader.calls[0]?.fail(new ChatClientError('UPLOAD_FAILED', 'refused'));
    await expect(failed).rejects.toMatchObject({ code: 'UPLOAD_FAILED' });
    const again = upload.uploadId();
    await vi.waitFor(() => expect(uploader.calls).toHaveLength(2));
    expect(uploader.calls[1]?.slot.uploadId).toBe('u2');
    uploader.calls[1]?.finish();
    expect(await again).toBe('u2');
  });
});

describe('sending media through the client', () => {
  let client: ChatClient;
  let uploader: ReturnType<typeof fakeUploader>;

  async function connect(): Promise<FakeSocket> {
    const opened = client.connect();
    await vi.advanceTimersByTimeAsync(0);
    const socket = FakeSocket.latest();
    socket.open();
    await opened;
    return socket;
  }

  function ack(messageId: string, seq: number, duplicate = false) {
    return (requestId: string | undefined): ServerEvent => ({
      type: 'ack',
      requestId,
      messageId,
      conversationId: 'alice:bob',
      seq,
      sentAt: 7,
      duplicate,
    });
  }

  /** Lets the client's promise chains run: it awaits between the slot, the upload and the send. */
  const settle = () => vi.advanceTimersByTimeAsync(0);

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all.length = 0;
    uploader = fakeUploader();
    client = new ChatClient({
      url: 'ws://chat.test/live',
      userId: 'alice',
      deviceId: 'laptop',
      getToken: async () => 'token',
      WebSocket: FakeSocket,
      requestTimeoutMs: 1000,
      random: () => 0,
      upload: uploader.upload,
    });
  });

  afterEach(() => {
    client.close();
    vi.useRealTimers();
  });

  it('asks for a slot, uploads with progress, then sends the message that names the slot', async () => {
    const socket = await connect();
    const progress: number[] = [];
    client.on('upload', (event) => progress.push(event.loaded));
    const sent = client.sendMedia({
      to: 'bob',
      file: png(),
      caption: 'my cat',
      width: 640,
      height: 480,
      preview: 'data:image/png;base64,AAAA',
      messageId: 'm-1',
    });
    expect(socket.frames('requestUpload')).toMatchObject([
      { kind: 'image', contentType: 'image/png', size: 4, fileName: 'cat.png' },
    ]);
    socket.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    uploader.calls[0]?.options.onProgress({ loaded: 2, total: 4 });
    expect(client.uploadProgress('m-1')).toEqual({ loaded: 2, total: 4 });
    uploader.calls[0]?.finish();
    await settle();
    expect(socket.frames('sendMessage')).toMatchObject([
      {
        messageId: 'm-1',
        to: 'bob',
        text: 'my cat',
        media: { uploadId: 'u1', width: 640, height: 480, preview: 'data:image/png;base64,AAAA' },
      },
    ]);
    socket.reply('sendMessage', ack('m-1', 3));
    await expect(sent).resolves.toMatchObject({ seq: 3 });
    expect(progress).toEqual([0, 2, 4]);
    expect(client.store.messages('alice:bob')).toMatchObject([
      { seq: 3, text: 'my cat', media: { kind: 'image', contentType: 'image/png', size: 4, url: '' } },
    ]);
    expect(client.uploadProgress('m-1')).toBeUndefined();
  });

  it('sends a message without text when there is no caption', async () => {
    const socket = await connect();
    const sent = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1' });
    socket.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    uploader.calls[0]?.finish();
    await settle();
    expect(socket.frames('sendMessage')[0]).not.toHaveProperty('text');
    socket.reply('sendMessage', ack('m-1', 1));
    await sent;
  });

  it('after a reconnect, sends only the message again, with the same messageId and upload', async () => {
    const first = await connect();
    const sent = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1' });
    first.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    // The connection drops while the file uploads; the upload itself goes on.
    first.close(1006);
    uploader.calls[0]?.finish();
    await settle();
    expect(first.frames('sendMessage')).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(250);
    const second = FakeSocket.latest();
    second.open();
    await settle();
    expect(second.frames('requestUpload')).toHaveLength(0);
    expect(second.frames('sendMessage')).toMatchObject([{ messageId: 'm-1', media: { uploadId: 'u1' } }]);
    second.reply('sendMessage', ack('m-1', 1));
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    expect(uploader.calls).toHaveLength(1);
  });

  it('uploads again through a new slot when the server no longer has the upload, keeping the messageId', async () => {
    const socket = await connect();
    const sent = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1' });
    socket.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    uploader.calls[0]?.finish();
    await settle();
    socket.reply('sendMessage', (requestId) => ({
      type: 'error',
      requestId,
      code: 'UPLOAD_EXPIRED',
      message: 'expired',
    }));
    await settle();
    socket.reply('requestUpload', (requestId) => slot('u2', requestId));
    await settle();
    uploader.calls[1]?.finish();
    await settle();
    expect(socket.frames('sendMessage').map((frame) => [frame.messageId, frame.media?.uploadId])).toEqual([
      ['m-1', 'u1'],
      ['m-1', 'u2'],
    ]);
    socket.reply('sendMessage', ack('m-1', 1));
    await expect(sent).resolves.toMatchObject({ seq: 1 });
  });

  it('gives up when the new upload is refused too, and on a failed upload', async () => {
    const socket = await connect();
    const sent = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1' });
    const refused = expect(sent).rejects.toMatchObject({ code: 'UPLOAD_NOT_FOUND' });
    for (const uploadId of ['u1', 'u2']) {
      socket.reply('requestUpload', (requestId) => slot(uploadId, requestId));
      await settle();
      uploader.calls.at(-1)?.finish();
      await settle();
      socket.reply('sendMessage', (requestId) => ({
        type: 'error',
        requestId,
        code: 'UPLOAD_NOT_FOUND',
        message: 'gone',
      }));
      await settle();
    }
    await refused;

    const failed = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-2' });
    socket.reply('requestUpload', (requestId) => slot('u3', requestId));
    await settle();
    const failure = expect(failed).rejects.toMatchObject({ code: 'UPLOAD_FAILED' });
    uploader.calls.at(-1)?.fail(new ChatClientError('UPLOAD_FAILED', 'refused'));
    await failure;
    expect(client.pending()).toHaveLength(0);
  });

  it('cancels while the file uploads: the upload aborts and nothing is sent', async () => {
    const socket = await connect();
    const controller = new AbortController();
    const sent = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1', signal: controller.signal });
    socket.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    const refused = expect(sent).rejects.toMatchObject({ code: 'CANCELLED' });
    controller.abort();
    await refused;
    expect(uploader.calls[0]?.options.signal.aborted).toBe(true);
    await settle();
    expect(socket.frames('sendMessage')).toHaveLength(0);
    expect(client.pending()).toHaveLength(0);
  });

  it('keeps media queued while offline in order with text, and refuses a file the server would refuse at once', async () => {
    const media = client.sendMedia({ to: 'bob', file: png(), messageId: 'm-1' });
    const text = client.sendMessage('bob', 'after the photo', 'm-2');
    await expect(
      client.sendMedia({ to: 'bob', file: new Blob(['<html>'], { type: 'text/html' }) }),
    ).rejects.toMatchObject({ code: 'MEDIA_TYPE_NOT_ALLOWED' });
    expect(client.pending().map((message) => message.messageId)).toEqual(['m-1', 'm-2']);
    const socket = await connect();
    socket.reply('requestUpload', (requestId) => slot('u1', requestId));
    await settle();
    expect(socket.frames('sendMessage')).toHaveLength(0);
    uploader.calls[0]?.finish();
    await settle();
    socket.reply('sendMessage', ack('m-1', 1));
    await media;
    socket.reply('sendMessage', ack('m-2', 2));
    await expect(text).resolves.toMatchObject({ seq: 2 });
  });

  it('renews a download URL once for concurrent asks and puts it in the store', async () => {
    const socket = await connect();
    socket.push({
      type: 'message',
      conversationId: 'alice:bob',
      seq: 1,
      messageId: 'b-1',
      from: 'bob',
      to: 'alice',
      text: '',
      media: { kind: 'image', contentType: 'image/png', size: 4, url: 'http://old', urlExpiresAt: 1 },
      sentAt: 1,
    });
    const asks = [client.refreshMediaUrl('alice:bob', 1), client.refreshMediaUrl('alice:bob', 1)];
    expect(socket.frames('getMediaUrl')).toMatchObject([{ conversationId: 'alice:bob', seq: 1 }]);
    socket.reply('getMediaUrl', (requestId) => ({
      type: 'mediaUrl',
      requestId,
      conversationId: 'alice:bob',
      seq: 1,
      url: 'http://new',
      urlExpiresAt: 900_000,
    }));
    expect((await Promise.all(asks)).map((reply) => reply.url)).toEqual(['http://new', 'http://new']);
    expect(client.store.messages('alice:bob')[0]?.media).toMatchObject({
      url: 'http://new',
      urlExpiresAt: 900_000,
    });
  });
});
