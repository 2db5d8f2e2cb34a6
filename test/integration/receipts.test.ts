import { beforeAll, describe, expect, it } from 'vitest';
import { sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId, type TestSocket } from '../support/socket';

const harness = useRuntime();
/** Every connect is followed by a sync; these tests start once it is done. */
const open = async (username: string, deviceId: string) =>
  (await harness.openSynced(username, deviceId)).socket;

const statusFrom =
  (userId: string, check: (frame: Frame) => boolean = () => true) =>
  (frame: Frame) =>
    frame.type === 'status' && frame.userId === userId && frame.requestId === undefined && check(frame);

describe('message status', () => {
  let alice: TestSocket;
  let alicePhone: TestSocket;
  let bob: TestSocket;
  let bobTablet: TestSocket;

  beforeAll(async () => {
    [alice, alicePhone, bob, bobTablet] = await Promise.all([
      open('alice', 'a-laptop'),
      open('alice', 'a-phone'),
      open('bob', 'b-phone'),
      open('bob', 'b-tablet'),
    ]);
    await sendMany(alice, 'bob', 4, (i) => `m${i}`, 1);
  });

  it('moves to delivered on the recipient device acknowledgement and tells every device', async () => {
    const onAlice = alice.next(statusFrom('bob', (f) => f.delivered === 3));
    const onAlicePhone = alicePhone.next(statusFrom('bob', (f) => f.delivered === 3));
    const onBobTablet = bobTablet.next(statusFrom('bob', (f) => f.delivered === 3));
    const reply = await bob.request({
      action: 'receipt',
      conversationId: 'alice:bob',
      status: 'delivered',
      upTo: 3,
    });
    expect(reply).toMatchObject({
      type: 'status',
      userId: 'bob',
      conversationId: 'alice:bob',
      delivered: 3,
      seen: 0,
    });
    expect(await onAlice).toMatchObject({ conversationId: 'alice:bob', delivered: 3, seen: 0 });
    await Promise.all([onAlicePhone, onBobTablet]);
  });

  it('moves to seen, which implies delivered', async () => {
    const onAlice = alice.next(statusFrom('bob', (f) => f.seen === 4));
    const reply = await bob.request({
      action: 'receipt',
      conversationId: 'alice:bob',
      status: 'seen',
      upTo: 4,
    });
    expect(reply).toMatchObject({ delivered: 4, seen: 4 });
    expect(await onAlice).toMatchObject({ delivered: 4, seen: 4 });
  });

  it('never goes back: an older or repeated receipt changes nothing and tells no one', async () => {
    const before = alice.ofType('status').length;
    const older = await bob.request({
      action: 'receipt',
      conversationId: 'alice:bob',
      status: 'seen',
      upTo: 2,
    });
    const again = await bob.request({
      action: 'receipt',
      conversationId: 'alice:bob',
      status: 'delivered',
      upTo: 4,
    });
    expect(older).toMatchObject({ delivered: 4, seen: 4 });
    expect(again).toMatchObject({ delivered: 4, seen: 4 });
    // A later change is the next status alice sees: nothing came in between.
    await alice.request({ action: 'sendMessage', messageId: newMessageId(), to: 'bob', text: 'm4' });
    const next = alice.next(statusFrom('bob', (f) => f.delivered === 5));
    await bob.request({ action: 'receipt', conversationId: 'alice:bob', status: 'delivered', upTo: 5 });
    await next;
    expect(alice.ofType('status').length).toBe(before + 1);
  });

  it('refuses a receipt beyond the last message, for a conversation without messages, or someone else’s', async () => {
    expect(
      await bob.request({ action: 'receipt', conversationId: 'alice:bob', status: 'seen', upTo: 99 }),
    ).toMatchObject({ type: 'error', code: 'RECEIPT_AHEAD' });
    expect(
      await bob.request({ action: 'receipt', conversationId: 'bob:carol', status: 'seen', upTo: 1 }),
    ).toMatchObject({ type: 'error', code: 'UNKNOWN_CONVERSATION' });
    const carol = await open('carol', 'c1');
    expect(
      await carol.request({ action: 'receipt', conversationId: 'alice:bob', status: 'seen', upTo: 1 }),
    ).toMatchObject({ type: 'error', code: 'NOT_A_PARTICIPANT' });
    expect(
      await carol.request({ action: 'receipt', conversationId: 'alice:bob', status: 'read', upTo: 1 }),
    ).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
  });

  it('lets a sender who was offline learn the status from history and the conversation list', async () => {
    await alice.close();
    const back = await open('alice', 'a-laptop');
    const history = await back.request({ action: 'getMessages', conversationId: 'alice:bob' });
    expect((history.messages as Frame[]).map((m) => m.status)).toEqual([
      'delivered',
      'seen',
      'seen',
      'seen',
      'seen',
    ]);
    const list = await back.request({ action: 'listConversations' });
    expect(list.conversations).toEqual([
      expect.objectContaining({
        conversationId: 'alice:bob',
        peer: 'bob',
        lastSeq: 5,
        unread: 0,
        peerReceipts: { delivered: 5, seen: 4 },
        peerPresence: { userId: 'bob', state: 'online' },
      }),
    ]);
  });
});

describe('read receipts off', () => {
  it('answers a conversation with no messages yet with seen 0, or null only when receipts are off', async () => {
    const [fay, gus] = await Promise.all([open('fay', 'f1'), open('gus', 'g1')]);
    const empty = () => fay.request({ action: 'getMessages', conversationId: 'fay:gus' });
    expect((await empty()).peerReceipts).toEqual({ delivered: 0, seen: 0 });
    await gus.request({ action: 'updateSettings', readReceipts: false });
    expect((await empty()).peerReceipts).toEqual({ delivered: 0, seen: null });
  });

  it('hides seen both ways while delivered still works', async () => {
    const [dan, eve] = await Promise.all([open('dan', 'd1'), open('eve', 'e1')]);
    await sendMany(dan, 'eve', 2, (i) => `d${i}`, 1);
    await sendMany(eve, 'dan', 1, () => 'e0', 1);
    // Replying moved eve's watermarks past dan's messages: dan is told, as a receipt would tell him.
    await dan.next(statusFrom('eve', (f) => f.delivered === 3 && f.seen === 3));
    const fromEve = () => dan.ofType('status').filter((f) => f.userId === 'eve');
    const earlier = fromEve().length;
    expect(await eve.request({ action: 'updateSettings', readReceipts: false })).toMatchObject({
      type: 'settings',
      readReceipts: false,
    });

    // Eve's seen reaches nobody; dan learns delivered only.
    await eve.request({ action: 'receipt', conversationId: 'dan:eve', status: 'seen', upTo: 3 });
    await dan.request({ action: 'receipt', conversationId: 'dan:eve', status: 'seen', upTo: 3 });
    const danHistory = await dan.request({ action: 'getMessages', conversationId: 'dan:eve' });
    expect(danHistory.peerReceipts).toEqual({ delivered: 3, seen: null });
    expect((danHistory.messages as Frame[]).filter((m) => m.from === 'dan').map((m) => m.status)).toEqual([
      'delivered',
      'delivered',
    ]);
    // And eve sees no one's seen either, though dan has receipts on.
    const eveHistory = await eve.request({ action: 'getMessages', conversationId: 'dan:eve' });
    expect(eveHistory.peerReceipts).toEqual({ delivered: 3, seen: null });
    expect((eveHistory.messages as Frame[]).find((m) => m.from === 'eve')?.status).toBe('delivered');
    // The next receipt eve sends bounds the wait: every status dan got from eve since shows no seen.
    await dan.request({ action: 'sendMessage', messageId: newMessageId(), to: 'eve', text: 'd2' });
    const delivered = dan.next(statusFrom('eve', (f) => f.delivered === 4));
    await eve.request({ action: 'receipt', conversationId: 'dan:eve', status: 'delivered', upTo: 4 });
    expect(await delivered).toMatchObject({ delivered: 4, seen: null });
    expect(
      fromEve()
        .slice(earlier)
        .map((f) => f.seen),
    ).toEqual([null]);
  });

  it('tells the sender when a seen receipt moves delivered, even with read receipts off', async () => {
    const [uma, vic] = await Promise.all([open('uma', 'u1'), open('vic', 'v1')]);
    await sendMany(uma, 'vic', 2, (i) => `u${i}`, 1);
    await vic.request({ action: 'updateSettings', readReceipts: false });

    const told = uma.next(statusFrom('vic', (f) => f.delivered === 2));
    await vic.request({ action: 'receipt', conversationId: 'uma:vic', status: 'seen', upTo: 2 });

    expect(await told).toMatchObject({ conversationId: 'uma:vic', delivered: 2, seen: null });
  });
});

describe('conversation list', () => {
  it('lists conversations newest first with unread counts, paged by cursor', async () => {
    const fay = await open('fay', 'f1');
    const peers = ['gil', 'hal', 'ida', 'jon', 'kai'];
    await Promise.all(peers.map((peer) => open(peer, `${peer}-1`)));
    for (const peer of peers) {
      const socket = await open(peer, `${peer}-2`);
      await sendMany(socket, 'fay', peers.indexOf(peer) + 1, (i) => `${peer} ${i}`, 1);
    }
    const first = await fay.request({ action: 'listConversations', limit: 2 });
    expect((first.conversations as Frame[]).map((c) => [c.peer, c.unread])).toEqual([
      ['kai', 5],
      ['jon', 4],
    ]);
    expect(typeof first.nextCursor).toBe('string');
    const second = await fay.request({ action: 'listConversations', limit: 2, cursor: first.nextCursor });
    const third = await fay.request({ action: 'listConversations', limit: 2, cursor: second.nextCursor });
    expect(
      [...(second.conversations as Frame[]), ...(third.conversations as Frame[])].map((c) => c.peer),
    ).toEqual(['ida', 'hal', 'gil']);
    expect(third.nextCursor).toBeNull();
    expect((first.conversations as Frame[])[0]?.lastMessage).toMatchObject({ from: 'kai', text: 'kai 4' });

    await fay.request({ action: 'receipt', conversationId: 'fay:kai', status: 'seen', upTo: 3 });
    const after = await fay.request({ action: 'listConversations', limit: 1 });
    expect((after.conversations as Frame[])[0]).toMatchObject({ peer: 'kai', unread: 2 });
    expect(await fay.request({ action: 'listConversations', cursor: 'bm90LWEtY3Vyc29y' })).toMatchObject({
      type: 'error',
      code: 'BAD_CURSOR',
    });
  });
});

describe('a receipt without a requestId', () => {
  it('moves the watermark and tells the peer, and the caller gets no reply', async () => {
    const [quinn, rosa] = await Promise.all([open('quinn', 'q1'), open('rosa', 'r1')]);
    const [, last] = await sendMany(quinn, 'rosa', 2, (i) => `q${i}`, 1);
    const onQuinn = quinn.next(statusFrom('rosa', (f) => f.seen === last?.seq));
    rosa.send({ action: 'receipt', conversationId: 'quinn:rosa', status: 'seen', upTo: last?.seq });
    expect(await onQuinn).toMatchObject({ conversationId: 'quinn:rosa', delivered: 2, seen: 2 });

    // Frames of one connection run concurrently (on AWS as here), so a later request alone proves
    // nothing. The receipt's log line comes after anything its invocation posted, and a route response
    // goes out as the invocation returns, well before a request sent after that line is answered.
    const handled = () =>
      harness.runtime.telemetry
        .logs()
        .filter(
          (record) =>
            record.message === 'frame handled' && record.action === 'receipt' && record.userId === 'rosa',
        );
    await expect.poll(() => handled().length).toBe(1);
    const history = await rosa.request({ action: 'getMessages', conversationId: 'quinn:rosa' });
    expect((history.messages as Frame[]).map((m) => m.status)).toEqual(['seen', 'seen']);
    expect(rosa.received.filter((f) => f.type === 'status' || f.type === 'error')).toEqual([]);
  });
});
