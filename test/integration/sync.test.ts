import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb/conversations';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamodb/messages';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import { storeMessage } from '../../lambdas/core/messaging';
import { localTableName } from '../../local/provision';
import { range, receivedSeqs, sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId, type TestSocket } from '../support/socket';

// These tests send backlogs faster than the send limit allows (rate-limits.test.ts tests the limits).
const harness = useRuntime({ rateLimitFactor: 10 });
const { open, openSynced } = harness;

describe('offline delivery', () => {
  it('delivers messages sent while the recipient was offline, in order, as soon as it connects', async () => {
    const first = await openSynced('bob', 'phone');
    expect(first.synced).toMatchObject({ conversations: 0, messages: 0 });
    expect(first.synced.requestId).toBeUndefined();
    await first.socket.close();

    const { socket: alice } = await openSynced('alice', 'a1');
    await sendMany(alice, 'bob', 5, (i) => `message ${i}`, 1);

    const { socket: bob, synced } = await openSynced('bob', 'phone');
    expect(synced).toMatchObject({ type: 'synced', conversations: 1, messages: 5 });
    const batches = bob.ofType('sync');
    expect(batches.length).toBeGreaterThan(0);
    expect(receivedSeqs(bob, 'alice:bob')).toEqual(range(1, 5));
    expect((batches[0]?.messages as Frame[] | undefined)?.[0]).toMatchObject({
      from: 'alice',
      to: 'bob',
      text: 'message 0',
    });

    // Acknowledged messages are not delivered again to this device.
    await bob.request({ action: 'receipt', conversationId: 'alice:bob', status: 'delivered', upTo: 5 });
    await bob.close();
    const again = await openSynced('bob', 'phone');
    expect(again.synced).toMatchObject({ messages: 0 });
    expect(again.socket.ofType('sync')).toEqual([]);
  });

  it('loses nothing when the connection drops in the middle of a drain', async () => {
    await (await openSynced('dora', 'tab')).socket.close();
    const { socket: carl } = await openSynced('carl', 'c1');
    const long = (i: number) => `${i}:`.padEnd(LIMITS.maxTextLength, 'x');
    await sendMany(carl, 'dora', 60, long, 4);

    // 60 messages of 4000 characters need several frames; drop after the first one.
    const dropped = await open('dora', 'tab');
    await dropped.next((frame) => frame.type === 'sync');
    dropped.ws.terminate();
    await dropped.closed;

    const { socket: dora, synced } = await openSynced('dora', 'tab');
    expect(synced).toMatchObject({ messages: 60 });
    expect(dora.ofType('sync').length).toBeGreaterThan(1);
    for (const batch of dora.ofType('sync')) {
      expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThan(LIMITS.maxMessageBytes);
    }
    expect(receivedSeqs(dora, 'carl:dora')).toEqual(range(1, 60));

    // After acknowledging half, a reconnect brings only the other half.
    await dora.request({ action: 'receipt', conversationId: 'carl:dora', status: 'delivered', upTo: 30 });
    await dora.close();
    const resumed = await openSynced('dora', 'tab');
    expect(receivedSeqs(resumed.socket, 'carl:dora')).toEqual(range(31, 60));
  });

  it('keeps a cursor per device: a device that connects later still receives what it has not acknowledged', async () => {
    await (await openSynced('erin', 'laptop')).socket.close();
    const { socket: finn } = await openSynced('finn', 'f1');
    const { socket: phone } = await openSynced('erin', 'phone');
    await sendMany(finn, 'erin', 3);
    await phone.next((frame) => frame.type === 'message' && frame.seq === 3);
    const status = finn.next((frame) => frame.type === 'status' && frame.delivered === 3);
    await phone.request({ action: 'receipt', conversationId: 'erin:finn', status: 'delivered', upTo: 3 });
    // The user-level status follows the first device that acknowledged.
    expect(await status).toMatchObject({ userId: 'erin', delivered: 3 });

    const { socket: laptop, synced } = await openSynced('erin', 'laptop');
    expect(synced).toMatchObject({ messages: 3 });
    expect(receivedSeqs(laptop, 'erin:finn')).toEqual([1, 2, 3]);
  });

  it('gives a drain racing live messages every message, batches in order, nothing lost', async () => {
    await (await openSynced('hana', 'h1')).socket.close();
    const { socket: gus } = await openSynced('gus', 'g1');
    await sendMany(gus, 'hana', 40);

    const hanaPromise = openSynced('hana', 'h1');
    const live = sendMany(gus, 'hana', 40, (i) => `live ${i}`, 4);
    const [{ socket: hana }] = await Promise.all([hanaPromise, live]);
    await hana.next((frame) => frame.type === 'message' && frame.seq === 80).catch(() => undefined);
    const seqs = receivedSeqs(hana, 'gus:hana');
    expect(
      [...new Set(seqs)].sort((a, b) => a - b),
      JSON.stringify(hana.ofType('synced')),
    ).toEqual(range(1, 80));
    for (const batch of hana.ofType('sync')) {
      const batchSeqs = (batch.messages as Frame[]).map((m) => Number(m.seq));
      expect(batchSeqs).toEqual([...batchSeqs].sort((a, b) => a - b));
    }
  });

  it('runs an explicit sync on request and answers with the request id', async () => {
    await (await openSynced('ivy', 'i1')).socket.close();
    const { socket: jack } = await openSynced('jack', 'j1');
    const { socket: ivy } = await openSynced('ivy', 'i1');
    await sendMany(jack, 'ivy', 2);
    await ivy.next((frame) => frame.type === 'message' && frame.seq === 2);
    const synced = await ivy.request({ action: 'sync', requestId: 'sync-1' });
    expect(synced).toMatchObject({ type: 'synced', requestId: 'sync-1', messages: 2 });
  });
});

describe('a connection whose record lapsed', () => {
  it('catches up on its next heartbeat with what it missed meanwhile', async () => {
    const { socket: uma } = await openSynced('uma', 'u1');
    const { socket: vic } = await openSynced('vic', 'v1');
    // As the sweeper does when heartbeats stop arriving while the socket is, in fact, still open.
    const users = new DynamoUserStore(harness.db, localTableName('users'));
    for (const connectionId of await harness.connectionIds('vic'))
      await users.removeConnection('vic', connectionId);
    await sendMany(uma, 'vic', 2);
    expect(receivedSeqs(vic, 'uma:vic')).toEqual([]);

    const synced = vic.next((frame) => frame.type === 'synced');
    expect(await vic.request({ action: 'heartbeat' })).toMatchObject({ type: 'heartbeat' });
    expect(await synced).toMatchObject({ messages: 2 });
    expect(receivedSeqs(vic, 'uma:vic')).toEqual([1, 2]);
  });
});

describe('history', () => {
  let kim: TestSocket;
  let leo: TestSocket;

  beforeAll(async () => {
    [{ socket: kim }, { socket: leo }] = await Promise.all([
      openSynced('kim', 'k1'),
      openSynced('leo', 'l1'),
    ]);
    // Seeded through the data layer the handlers use: 1,050 sends over the socket would only slow the suite.
    const messages = new DynamoMessageStore(harness.db, localTableName('messages'));
    const conversations = new DynamoConversationStore(harness.db, localTableName('conversations'));
    for (let i = 0; i < 1050; i++) {
      const { message } = await storeMessage(messages, {
        conversationId: 'kim:leo',
        messageId: `h${i}`,
        from: 'kim',
        to: 'leo',
        text: `history ${i}`,
        sentAt: Date.now(),
      });
      await conversations.recordMessage(message);
    }
  });

  it('pages more than 1,000 messages newest first by cursor, each exactly once', async () => {
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await leo.request({
        action: 'getMessages',
        conversationId: 'kim:leo',
        limit: 100,
        ...(before === undefined ? {} : { before }),
      });
      expect(page.type).toBe('messages');
      const messages = page.messages as Frame[];
      expect(messages.length).toBeLessThanOrEqual(100);
      seen.push(...messages.map((m) => Number(m.seq)));
      if (!page.hasMore) break;
      before = Number(messages.at(-1)?.seq);
    }
    expect(seen).toEqual(range(1, 1050).reverse());
  });

  it('pages forward from a cursor, oldest first', async () => {
    const page = await leo.request({
      action: 'getMessages',
      conversationId: 'kim:leo',
      after: 1000,
      limit: 100,
    });
    expect((page.messages as Frame[]).map((m) => m.seq)).toEqual(range(1001, 1050));
    expect(page.hasMore).toBe(false);
    expect((page.messages as Frame[])[0]).toMatchObject({ text: 'history 1000', from: 'kim', to: 'leo' });
  });

  it('carries each message status', async () => {
    await leo.request({ action: 'receipt', conversationId: 'kim:leo', status: 'seen', upTo: 1040 });
    await leo.request({ action: 'receipt', conversationId: 'kim:leo', status: 'delivered', upTo: 1045 });
    const page = await kim.request({
      action: 'getMessages',
      conversationId: 'kim:leo',
      after: 1038,
      limit: 10,
    });
    const statuses = (page.messages as Frame[]).map((m) => [m.seq, m.status]);
    expect(statuses).toEqual([
      [1039, 'seen'],
      [1040, 'seen'],
      [1041, 'delivered'],
      [1042, 'delivered'],
      [1043, 'delivered'],
      [1044, 'delivered'],
      [1045, 'delivered'],
      [1046, 'sent'],
      [1047, 'sent'],
      [1048, 'sent'],
    ]);
    expect(page.peerReceipts).toEqual({ delivered: 1045, seen: 1040 });
  });

  it("refuses to read someone else's history or list", async () => {
    const { socket: mallory } = await openSynced('mallory', 'm1');
    const reply = await mallory.request({ action: 'getMessages', conversationId: 'kim:leo' });
    expect(reply).toMatchObject({ type: 'error', code: 'NOT_A_PARTICIPANT' });
    const list = await mallory.request({ action: 'listConversations', userId: 'kim' });
    expect(list).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
  });

  it('answers an empty last page below the first message', async () => {
    const page = await leo.request({ action: 'getMessages', conversationId: 'kim:leo', before: 1 });
    expect(page).toMatchObject({ type: 'messages', messages: [], hasMore: false });
  });

  it('refuses both before and after at once', async () => {
    const reply = await leo.request({
      action: 'getMessages',
      conversationId: 'kim:leo',
      before: 10,
      after: 2,
    });
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
  });

  it('keeps a page of long messages under the frame limit', async () => {
    const { socket: nia } = await openSynced('nia', 'n1');
    await openSynced('otto', 'o1');
    await sendMany(nia, 'otto', 40, (i) => `${i}`.padEnd(LIMITS.maxTextLength, 'y'), 4);
    const page = await nia.request({ action: 'getMessages', conversationId: 'nia:otto', limit: 100 });
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(LIMITS.maxMessageBytes);
    expect(page.hasMore).toBe(true);
    expect((page.messages as Frame[])[0]).toMatchObject({ seq: 40 });
  });
});

describe('hiding a conversation', () => {
  it('clears it for one side only, until a new message brings it back', async () => {
    const { socket: pam } = await openSynced('pam', 'p1');
    const { socket: quin } = await openSynced('quin', 'q1');
    await sendMany(pam, 'quin', 3);
    expect(await quin.request({ action: 'hideConversation', conversationId: 'pam:quin' })).toMatchObject({
      type: 'ok',
    });
    const empty = await quin.request({ action: 'getMessages', conversationId: 'pam:quin' });
    expect(empty.messages).toEqual([]);
    const pamView = await pam.request({ action: 'getMessages', conversationId: 'pam:quin' });
    expect((pamView.messages as Frame[]).map((m) => m.seq)).toEqual([3, 2, 1]);

    await pam.request({ action: 'sendMessage', messageId: newMessageId(), to: 'quin', text: 'back again' });
    const after = await quin.request({ action: 'getMessages', conversationId: 'pam:quin' });
    expect((after.messages as Frame[]).map((m) => m.text)).toEqual(['back again']);
    expect(await quin.request({ action: 'hideConversation', conversationId: 'quin:zed' })).toMatchObject({
      code: 'UNKNOWN_CONVERSATION',
    });
  });
});
