import { describe, expect, it } from 'vitest';
import { sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId } from '../support/socket';

const harness = useRuntime();
const { openSynced } = harness;

describe('hiding a conversation', () => {
  it("changes nothing the peer can see: the peer's messages are not marked seen", async () => {
    const { socket: rae } = await openSynced('rae', 'r1');
    const { socket: sid } = await openSynced('sid', 's1');
    await sendMany(rae, 'sid', 3);
    expect(await sid.request({ action: 'hideConversation', conversationId: 'rae:sid' })).toMatchObject({
      type: 'ok',
    });

    const raeView = await rae.request({ action: 'getMessages', conversationId: 'rae:sid' });
    expect(raeView.peerReceipts).toEqual({ delivered: 0, seen: 0 });
    expect((raeView.messages as Frame[]).map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);

    // Sid's own view: the hidden messages are gone and not unread; a new one is the only unread.
    await rae.request({ action: 'sendMessage', messageId: newMessageId(), to: 'sid', text: 'still there?' });
    const list = await sid.request({ action: 'listConversations' });
    expect(list.conversations).toMatchObject([{ conversationId: 'rae:sid', lastSeq: 4, unread: 1 }]);
  });
});

describe('blocking', () => {
  it('refuses messages both ways, drops typing, hides presence both ways, until unblocked', async () => {
    const { socket: uno } = await openSynced('uno', 'u1');
    const { socket: vex } = await openSynced('vex', 'v1');
    for (const socket of [uno, vex]) {
      await socket.request({ action: 'updateSettings', lastSeenVisibility: 'everyone' });
    }
    const send = (from: typeof uno, to: string, text: string) =>
      from.request({ action: 'sendMessage', messageId: newMessageId(), to, text });
    expect(await send(vex, 'uno', 'hello')).toMatchObject({ type: 'ack', seq: 1 });
    const presenceOf = async (viewer: typeof uno, userId: string) =>
      ((await viewer.request({ action: 'getPresence', users: [userId] })).users as Frame[])[0];
    expect(await presenceOf(vex, 'uno')).toEqual({ userId: 'uno', state: 'online' });

    expect(await uno.request({ action: 'block', requestId: 'b1', userId: 'vex' })).toEqual({
      type: 'ok',
      requestId: 'b1',
    });
    expect(await send(vex, 'uno', 'let me in')).toMatchObject({ type: 'error', code: 'BLOCKED' });
    expect(await send(uno, 'vex', 'and you stay out')).toMatchObject({ type: 'error', code: 'BLOCKED' });
    expect((await harness.storedMessages('uno:vex')).map((m) => m.text)).toEqual(['hello']);
    expect(await presenceOf(vex, 'uno')).toEqual({ userId: 'uno', state: 'hidden' });
    expect(await presenceOf(uno, 'vex')).toEqual({ userId: 'vex', state: 'hidden' });
    vex.send({ action: 'typing', to: 'uno', state: 'typing' });
    // The typing frame's read of the two profiles goes out before this round trip, and so before the unblock.
    expect((await vex.request({ action: 'heartbeat' })).type).toBe('heartbeat');

    expect(await uno.request({ action: 'unblock', userId: 'vex' })).toMatchObject({ type: 'ok' });
    // A "stopped" right after a "typing" always passes the typing limiter: it is the first to arrive.
    vex.send({ action: 'typing', to: 'uno', state: 'stopped' });
    await uno.next((frame) => frame.type === 'typing');
    expect(uno.ofType('typing').map((frame) => frame.state)).toEqual(['stopped']);
    expect(await presenceOf(vex, 'uno')).toEqual({ userId: 'uno', state: 'online' });
    expect(await send(vex, 'uno', 'friends again')).toMatchObject({ type: 'ack', seq: 2 });
  });

  it('refuses blocking oneself', async () => {
    const { socket } = await openSynced('wes', 'w1');
    expect(await socket.request({ action: 'block', userId: 'wes' })).toMatchObject({
      type: 'error',
      code: 'SELF_SEND',
    });
  });
});
