import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { MEDIA_MAX_BYTES } from '../../contract/media';
import { LOCAL_MEDIA_BUCKET } from '../../local/provision';
import { S3RVER_CREDENTIALS } from '../../local/s3';
import { useRuntime } from '../support/harness';
import { html, mp4, oggOpus, png, upload, webm } from '../support/media';
import { type Frame, newMessageId, type TestSocket } from '../support/socket';

const harness = useRuntime();

async function slotFor(
  socket: TestSocket,
  kind: string,
  contentType: string,
  file: Buffer,
  fileName?: string,
) {
  const slot = await socket.request({
    action: 'requestUpload',
    kind,
    contentType,
    size: file.length,
    ...(fileName ? { fileName } : {}),
  });
  expect(slot).toMatchObject({ type: 'uploadSlot', maxBytes: file.length });
  return slot;
}

/** Asks for a slot, uploads the file through it (S3 answers 204) and returns the slot. */
async function uploaded(
  socket: TestSocket,
  kind: string,
  contentType: string,
  file: Buffer,
  fileName?: string,
) {
  const slot = await slotFor(socket, kind, contentType, file, fileName);
  const response = await upload(slot, file);
  expect(response.status, await response.text()).toBe(204);
  return slot;
}

const sendMedia = (socket: TestSocket, to: string, uploadId: unknown, extra: Frame = {}) =>
  socket.request({ action: 'sendMessage', messageId: newMessageId(), to, media: { uploadId }, ...extra });

async function pair(a: string, b: string) {
  const [{ socket: sender }, { socket: receiver }] = await Promise.all([
    harness.openSynced(a, `${a}-phone`),
    harness.openSynced(b, `${b}-phone`),
  ]);
  return { sender, receiver };
}

/** The download URL of a message's media. */
const mediaUrl = (message: Frame | undefined) => String((message?.media as Frame | undefined)?.url);

const expectError = (frame: Frame, code: string) => expect(frame).toMatchObject({ type: 'error', code });

describe('media messages, one per kind, uploaded and downloaded for real', () => {
  it.each([
    ['image', 'image/png', png(16, 9), 'dot.png'],
    ['audio', 'audio/ogg', oggOpus(), 'note.ogg'],
    ['audio', 'audio/webm', webm(), undefined],
    ['video', 'video/mp4', mp4(), 'clip.mp4'],
  ])(
    'sends %s (%s) and the peer downloads exactly the bytes, served as that type',
    async (kind, contentType, file, fileName) => {
      const { sender, receiver } = await pair(`ann-${kind}`, `ben-${contentType.replace('/', '-')}`);
      const peer = `ben-${contentType.replace('/', '-')}`;
      const slot = await uploaded(sender, kind, contentType, file, fileName);
      expect(String((slot.fields as Record<string, string>).key)).toMatch(
        new RegExp(`^staging/ann-${kind}/[\\w-]{22}$`),
      );

      const ack = await sendMedia(sender, peer, slot.uploadId, {
        text: 'look',
        ...(kind === 'image' ? {} : {}),
      });
      expect(ack).toMatchObject({ type: 'ack', duplicate: false });
      const message = await receiver.next(
        (frame) => frame.type === 'message' && frame.messageId === ack.messageId,
      );
      const media = message.media as Record<string, unknown>;
      expect(message.text).toBe('look');
      expect(media).toMatchObject({
        kind,
        contentType,
        size: file.length,
        ...(fileName ? { fileName } : {}),
      });
      // The kept key is random and names neither the sender nor the conversation.
      expect(String(media.url)).toMatch(/\/media\/[\w-]{22}\?/);
      expect(String(media.url)).not.toContain('ann-');
      expect(Number(media.urlExpiresAt)).toBeGreaterThan(Date.now());

      const download = await fetch(String(media.url));
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(contentType);
      expect(Buffer.from(await download.arrayBuffer()).equals(file)).toBe(true);
    },
  );

  it('carries media in history, the conversation list, sync and getMediaUrl, for both participants only', async () => {
    const { sender } = await pair('cid', 'dov');
    const slot = await uploaded(sender, 'image', 'image/png', png());
    const ack = await sendMedia(sender, 'dov', slot.uploadId, {
      media: { uploadId: slot.uploadId, width: 4, height: 3, preview: 'data:image/png;base64,iVBORw0KGgo=' },
    });
    expect(ack.type).toBe('ack');

    const page = await sender.request({ action: 'getMessages', conversationId: 'cid:dov' });
    const [stored] = page.messages as Frame[];
    expect(stored?.media).toMatchObject({
      width: 4,
      height: 3,
      preview: 'data:image/png;base64,iVBORw0KGgo=',
    });
    expect((await fetch(mediaUrl(stored))).status).toBe(200);

    const list = await sender.request({ action: 'listConversations' });
    const [summary] = list.conversations as Frame[];
    expect((summary?.lastMessage as Frame | undefined)?.media).toMatchObject({
      kind: 'image',
      contentType: 'image/png',
    });

    // Dov was offline: his first connection's sync carries the media with a working URL.
    const { socket: dov } = await harness.openSynced('dov', 'dov-phone');
    const batch = dov.ofType('sync').find((frame) => frame.conversationId === 'cid:dov');
    const synced = (batch?.messages as Frame[] | undefined)?.[0];
    expect((await fetch(mediaUrl(synced))).status).toBe(200);

    const fresh = await dov.request({ action: 'getMediaUrl', conversationId: 'cid:dov', seq: ack.seq });
    expect(fresh).toMatchObject({ type: 'mediaUrl', conversationId: 'cid:dov', seq: ack.seq });
    expect(Buffer.from(await (await fetch(String(fresh.url))).arrayBuffer()).equals(png())).toBe(true);

    const eve = await harness.open('eve');
    expectError(
      await eve.request({ action: 'getMediaUrl', conversationId: 'cid:dov', seq: ack.seq }),
      'NOT_A_PARTICIPANT',
    );
    await sender.request({ action: 'sendMessage', messageId: newMessageId(), to: 'dov', text: 'plain' });
    expectError(
      await dov.request({ action: 'getMediaUrl', conversationId: 'cid:dov', seq: Number(ack.seq) + 1 }),
      'NO_MEDIA',
    );
  });

  it('answers a retry of a media send with a duplicate ack and stores the message once', async () => {
    const { sender } = await pair('fay', 'gus');
    const slot = await uploaded(sender, 'image', 'image/png', png());
    const frame = {
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'gus',
      media: { uploadId: slot.uploadId },
    };
    const first = await sender.request(frame);
    const again = await sender.request(frame);
    expect(first).toMatchObject({ type: 'ack', duplicate: false });
    expect(again).toMatchObject({ type: 'ack', duplicate: true, seq: first.seq });
    expect(await harness.storedMessages('fay:gus')).toHaveLength(1);
  });
});

describe('pages of media messages', () => {
  it('stay within the reply budget with their URLs and largest previews', async () => {
    const { sender } = await pair('tia', 'uma');
    const preview = `data:image/png;base64,${'A'.repeat(LIMITS.maxPreviewLength - 22)}`;
    const count = 20;
    for (let i = 0; i < count; i++) {
      const slot = await uploaded(sender, 'image', 'image/png', png());
      const ack = await sender.request({
        action: 'sendMessage',
        messageId: newMessageId(),
        to: 'uma',
        media: { uploadId: slot.uploadId, preview },
      });
      expect(ack.type).toBe('ack');
    }
    const page = await sender.request({ action: 'getMessages', conversationId: 'tia:uma', limit: 100 });
    const messages = page.messages as Frame[];
    // Twenty of them would pass the budget: the page stops short and says there is more.
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(LIMITS.maxReplyBytes + 1024);
    expect(messages.length).toBeLessThan(count);
    expect(messages.length).toBeGreaterThan(0);
    expect(page.hasMore).toBe(true);
    expect(messages.every((message) => (message.media as Frame).preview === preview)).toBe(true);
  });
});

describe('refusals', () => {
  it('refuses a type not on the list, a type of another kind, and a size over the limit', async () => {
    const hal = await harness.open('hal');
    const ask = (kind: string, contentType: string, size: number) =>
      hal.request({ action: 'requestUpload', kind, contentType, size });
    expectError(await ask('image', 'image/svg+xml', 100), 'MEDIA_TYPE_NOT_ALLOWED');
    expectError(await ask('image', 'text/html', 100), 'MEDIA_TYPE_NOT_ALLOWED');
    expectError(await ask('audio', 'image/png', 100), 'MEDIA_TYPE_NOT_ALLOWED');
    expectError(await ask('image', 'image/png', MEDIA_MAX_BYTES.image + 1), 'MEDIA_TOO_LARGE');
    expect(await ask('video', 'video/mp4', MEDIA_MAX_BYTES.video)).toMatchObject({ type: 'uploadSlot' });
  });

  it('refuses HTML uploaded as image/png, and stores nothing', async () => {
    const { sender } = await pair('ida', 'jon');
    const slot = await uploaded(sender, 'image', 'image/png', html());
    expectError(await sendMedia(sender, 'jon', slot.uploadId), 'UPLOAD_INVALID');
    expect(await harness.storedMessages('ida:jon')).toHaveLength(0);
  });

  it('refuses an object larger than its slot, even one that reached the bucket another way', async () => {
    const { sender } = await pair('kim', 'lou');
    const small = png();
    const slot = await slotFor(sender, 'image', 'image/png', small);
    const big = png(64, 64);
    // The POST policy's content-length-range refuses it at the door, as S3 does.
    const refused = await upload(slot, big);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>EntityTooLarge</Code>');
    // And the server checks the object itself before it accepts the message.
    const s3 = new S3Client({
      endpoint: harness.runtime.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    const key = (slot.fields as Record<string, string>).key;
    await s3.send(
      new PutObjectCommand({ Bucket: LOCAL_MEDIA_BUCKET, Key: key, Body: big, ContentType: 'image/png' }),
    );
    s3.destroy();
    expectError(await sendMedia(sender, 'lou', slot.uploadId), 'UPLOAD_INVALID');
    expect(await harness.storedMessages('kim:lou')).toHaveLength(0);
  });

  it("refuses someone else's slot and a slot nothing was uploaded to", async () => {
    const { sender } = await pair('max', 'ned');
    const slot = await uploaded(sender, 'image', 'image/png', png());
    const mallory = await harness.open('mallory');
    expectError(await sendMedia(mallory, 'ned', slot.uploadId), 'UPLOAD_NOT_FOUND');
    const empty = await slotFor(sender, 'image', 'image/png', png());
    expectError(await sendMedia(sender, 'ned', empty.uploadId), 'UPLOAD_NOT_FOUND');
    expectError(await sendMedia(sender, 'ned', 'u-nosuchslot'), 'UPLOAD_NOT_FOUND');
  });

  it('lets a slot back one message only, also when two sends race', async () => {
    const { sender } = await pair('oli', 'pam');
    const used = await uploaded(sender, 'image', 'image/png', png());
    expect((await sendMedia(sender, 'pam', used.uploadId)).type).toBe('ack');
    expectError(await sendMedia(sender, 'pam', used.uploadId), 'UPLOAD_USED');

    const raced = await uploaded(sender, 'image', 'image/png', png());
    const answers = await Promise.all([
      sendMedia(sender, 'pam', raced.uploadId),
      sendMedia(sender, 'pam', raced.uploadId),
    ]);
    expect(answers.map((answer) => (answer.type === 'ack' ? 'ack' : answer.code)).sort()).toEqual([
      'UPLOAD_USED',
      'ack',
    ]);
    expect(await harness.storedMessages('oli:pam')).toHaveLength(2);
  });
});

describe('the local S3 layer refuses what S3 refuses', () => {
  const tampered = async (change: (fields: Record<string, string>) => Record<string, string>) => {
    const sender = await harness.open('quin');
    const slot = await slotFor(sender, 'image', 'image/png', png());
    const response = await upload(slot, png(), change);
    return { status: response.status, body: await response.text() };
  };

  it('refuses a POST whose key, content type or signature was changed, or with a field the policy omits', async () => {
    expect(await tampered((f) => ({ ...f, key: 'media/mine' }))).toMatchObject({
      status: 403,
      body: expect.stringContaining('Policy Condition failed'),
    });
    expect(await tampered((f) => ({ ...f, 'Content-Type': 'text/html' }))).toMatchObject({
      status: 403,
      body: expect.stringContaining('AccessDenied'),
    });
    expect(await tampered((f) => ({ ...f, 'X-Amz-Signature': '0'.repeat(64) }))).toMatchObject({
      status: 403,
      body: expect.stringContaining('SignatureDoesNotMatch'),
    });
    expect(await tampered((f) => ({ ...f, acl: 'public-read' }))).toMatchObject({
      status: 403,
      body: expect.stringContaining('Extra input fields: acl'),
    });
    const forgedPolicy = (f: Record<string, string>) => {
      const policy = JSON.parse(Buffer.from(f.Policy ?? '', 'base64').toString()) as {
        conditions: unknown[];
      };
      policy.conditions = policy.conditions.filter(
        (c) => !Array.isArray(c) || c[0] !== 'content-length-range',
      );
      return { ...f, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') };
    };
    expect(await tampered(forgedPolicy)).toMatchObject({
      status: 403,
      body: expect.stringContaining('SignatureDoesNotMatch'),
    });
  });

  it('refuses a forged or unsigned download', async () => {
    const { sender } = await pair('rex', 'sue');
    const slot = await uploaded(sender, 'image', 'image/png', png());
    const ack = await sendMedia(sender, 'sue', slot.uploadId);
    const { url } = await sender.request({ action: 'getMediaUrl', conversationId: 'rex:sue', seq: ack.seq });
    const real = new URL(String(url));
    expect((await fetch(real)).status).toBe(200);

    const otherKey = new URL(real);
    otherKey.pathname = otherKey.pathname.replace(/[\w-]{22}$/, 'A'.repeat(22));
    const otherType = new URL(real);
    otherType.searchParams.set('response-content-type', 'text/html');
    const unsigned = new URL(real);
    unsigned.search = '';
    for (const forged of [otherKey, otherType]) {
      const response = await fetch(forged);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    const anonymous = await fetch(unsigned);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });
});
