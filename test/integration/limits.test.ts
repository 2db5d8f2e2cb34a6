import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId } from '../support/socket';

const harness = useRuntime();
const { open } = harness;

/** 4,000 characters of three UTF-8 bytes each: the longest text a client may send, in bytes. */
const longText = (seed: number) => String.fromCodePoint(0x4e00 + seed).repeat(LIMITS.maxTextLength);

describe('API Gateway size limits', () => {
  it('pages the conversation list so that no page passes the outgoing limit', async () => {
    const owner = await open('lena');
    const peers = Array.from({ length: 12 }, (_, i) => `lena-peer-${i}`);
    for (const [i, peer] of peers.entries()) {
      const sender = await open(peer);
      const ack = await sender.request({
        action: 'sendMessage',
        messageId: newMessageId(),
        to: 'lena',
        text: longText(i),
      });
      expect(ack.type).toBe('ack');
    }

    const pages: Frame[] = [];
    let cursor: unknown;
    do {
      const page = await owner.request({
        action: 'listConversations',
        limit: LIMITS.maxConversationsPage,
        ...(typeof cursor === 'string' && { cursor }),
      });
      pages.push(page);
      cursor = page.nextCursor;
    } while (typeof cursor === 'string');

    // Twelve summaries of about 12 KB each are about 148 KB: more than one message may carry.
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages)
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(LIMITS.maxMessageBytes);
    const listed = pages.flatMap((page) => (page.conversations as Frame[]).map((summary) => summary.peer));
    expect([...listed].sort()).toEqual([...peers].sort());
  });

  it('takes the longest message a client may send in one frame', async () => {
    const sender = await open('mona');
    await open('nils');
    const frame = { action: 'sendMessage', messageId: newMessageId(), to: 'nils', text: longText(1) };

    const ack = await sender.request(frame);

    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(LIMITS.maxFrameBytes);
    expect(ack.type).toBe('ack');
  });

  it('closes a socket with 1009 when a frame passes 32 KB', async () => {
    const socket = await open('olga');

    socket.sendRaw(JSON.stringify({ action: 'heartbeat', pad: 'p'.repeat(LIMITS.maxFrameBytes) }));

    expect((await socket.closed).code).toBe(1009);
  });

  it('closes a socket with 1003 on a binary frame', async () => {
    const socket = await open('pia');

    socket.ws.send(Buffer.from('{"action":"heartbeat"}'), { binary: true });

    expect((await socket.closed).code).toBe(1003);
  });

  it('closes a socket with 1007 on a text frame that is not UTF-8', async () => {
    const socket = await open('quin');

    socket.ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false });

    expect((await socket.closed).code).toBe(1007);
  });
});
