import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient, type StateChange } from '../../client/chat-client';
import { ChatClientError } from '../../client/errors';
import { LIMITS } from '../../contract/limits';
import type { ChatMessage } from '../../contract/protocol/frames';
import { FakeSocket } from '../support/fake-socket';

function message(seq: number): ChatMessage {
  return {
    conversationId: 'alice:bob',
    seq,
    messageId: `b${seq}`,
    from: 'bob',
    to: 'alice',
    text: `hi ${seq}`,
    sentAt: seq,
  };
}

let client: ChatClient;
let states: StateChange[];

/** Connects; the client sends no heartbeat before its interval. */
async function openClient(): Promise<FakeSocket> {
  const opened = client.connect();
  await vi.advanceTimersByTimeAsync(0);
  const socket = FakeSocket.latest();
  socket.open();
  await opened;
  return socket;
}

const heartbeatReply = (intervalMs: number) => (requestId: string | undefined) => ({
  type: 'heartbeat' as const,
  requestId,
  expiresAt: 0,
  intervalMs,
});

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all.length = 0;
  client = new ChatClient({
    url: 'ws://chat.test/live',
    userId: 'alice',
    deviceId: 'laptop',
    getToken: async () => 'token-1',
    WebSocket: FakeSocket,
    requestTimeoutMs: 1000,
    random: () => 0,
  });
  states = [];
  client.on('state', (change) => states.push(change));
});

afterEach(() => {
  client.close();
  vi.useRealTimers();
});

describe('connecting', () => {
  it('puts the token and the device id in the query string', async () => {
    const socket = await openClient();
    const url = new URL(socket.url);
    expect(url.searchParams.get('token')).toBe('token-1');
    expect(url.searchParams.get('deviceId')).toBe('laptop');
    expect(states.map((s) => s.state)).toEqual(['connecting', 'open']);
  });

  it('reconnects with growing delays until a connection opens, then starts again from the shortest', async () => {
    const socket = await openClient();
    socket.close(1006);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 0, retryInMs: 250 });
    await vi.advanceTimersByTimeAsync(250);
    FakeSocket.latest().close(1006);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1, retryInMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    FakeSocket.latest().close(1006);
    expect(states.at(-1)).toMatchObject({ attempt: 2, retryInMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    FakeSocket.latest().open();
    FakeSocket.latest().close(1001);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 0, retryInMs: 250 });
    expect(FakeSocket.all).toHaveLength(4);
  });

  it('asks the token provider again before each attempt', async () => {
    const getToken = vi.fn(async () => 'fresh');
    client = new ChatClient({
      url: 'ws://chat.test/live',
      userId: 'alice',
      deviceId: 'd',
      getToken,
      WebSocket: FakeSocket,
    });
    const socket = await openClient();
    socket.close(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('stops for good on close(): no reconnect, state closed', async () => {
    const socket = await openClient();
    client.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket.readyState).toBe(3);
    expect(FakeSocket.all).toHaveLength(1);
    expect(states.at(-1)?.state).toBe('closed');
  });

  it('reconnects when a heartbeat gets no reply, as the socket may be dead without knowing it', async () => {
    await openClient();
    await vi.advanceTimersByTimeAsync(LIMITS.heartbeatIntervalMs + 999);
    expect(states.at(-1)).toMatchObject({ state: 'open' });
    await vi.advanceTimersByTimeAsync(1);
    expect(states.at(-1)).toMatchObject({
      state: 'reconnecting',
      reason: expect.stringContaining('no heartbeat reply'),
    });
  });

  it('checks the connection when asked, once, and reconnects when that heartbeat gets no reply', async () => {
    const socket = await openClient();
    client.checkConnection();
    client.checkConnection();
    expect(socket.frames('heartbeat')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(states.at(-1)).toMatchObject({
      state: 'reconnecting',
      reason: expect.stringContaining('no heartbeat reply'),
    });
  });

  it('checks the connection when a request gets no reply, and keeps it when the heartbeat is answered', async () => {
    const socket = await openClient();
    const presence = client.getPresence(['bob']);
    const failed = expect(presence).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1000);
    await failed;
    expect(socket.frames('heartbeat')).toHaveLength(1);
    socket.reply('heartbeat', heartbeatReply(60_000));
    await vi.advanceTimersByTimeAsync(1000);
    expect(states.at(-1)).toMatchObject({ state: 'open' });
    // The answered check starts the interval again: the next heartbeat is a full interval later.
    await vi.advanceTimersByTimeAsync(58_000);
    expect(socket.frames('heartbeat')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.frames('heartbeat')).toHaveLength(2);
  });

  it('sends its first heartbeat an interval after opening, then at the interval the server names', async () => {
    const socket = await openClient();
    await vi.advanceTimersByTimeAsync(LIMITS.heartbeatIntervalMs - 1);
    expect(socket.frames('heartbeat')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    socket.reply('heartbeat', heartbeatReply(5000));
    await vi.advanceTimersByTimeAsync(4999);
    expect(socket.frames('heartbeat')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.frames('heartbeat')).toHaveLength(2);
  });
});

describe('requests', () => {
  it('resolves with the reply that carries its requestId and leaves other replies alone', async () => {
    const socket = await openClient();
    const first = client.getPresence(['bob']);
    const second = client.getPresence(['carol']);
    const [a, b] = socket.frames('getPresence');
    expect(a?.requestId).not.toBe(b?.requestId);
    socket.push({ type: 'presence', requestId: b?.requestId, users: [{ userId: 'carol', state: 'online' }] });
    socket.push({ type: 'presence', requestId: a?.requestId, users: [{ userId: 'bob', state: 'hidden' }] });
    expect((await first).users[0]?.userId).toBe('bob');
    expect((await second).users[0]?.userId).toBe('carol');
  });

  it('rejects with the error code of an error reply', async () => {
    const socket = await openClient();
    const reply = client.hideConversation('alice:zed');
    socket.reply('hideConversation', (requestId) => ({
      type: 'error',
      requestId,
      code: 'NOT_A_PARTICIPANT',
      message: 'no',
    }));
    await expect(reply).rejects.toMatchObject({ code: 'NOT_A_PARTICIPANT' });
  });

  it('rejects with TIMEOUT when no reply comes', async () => {
    await openClient();
    const reply = client.sync();
    const assertion = expect(reply).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1000);
    await assertion;
  });

  it('rejects at once with DISCONNECTED when not connected', async () => {
    await expect(client.sync()).rejects.toBeInstanceOf(ChatClientError);
  });

  it("emits an error without a matching request as an event, and API Gateway's failure as INTERNAL", async () => {
    const socket = await openClient();
    const errors: string[] = [];
    client.on('error', (event) => errors.push(event.code));
    socket.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down' });
    socket.push({ message: 'Internal server error', connectionId: 'c', requestId: 'x' } as never);
    expect(errors).toEqual(['RATE_LIMITED', 'INTERNAL']);
  });
});

describe('sending messages', () => {
  it('sends a message queued while offline once connected, and resolves with its ack', async () => {
    const sent = client.sendMessage('bob', 'hello', 'm-1');
    expect(client.pending()).toHaveLength(1);
    const socket = await openClient();
    socket.reply('sendMessage', (requestId) => ({
      type: 'ack',
      requestId,
      messageId: 'm-1',
      conversationId: 'alice:bob',
      seq: 1,
      sentAt: 5,
      duplicate: false,
    }));
    expect(await sent).toMatchObject({ seq: 1 });
    expect(client.pending()).toHaveLength(0);
    expect(client.store.messages('alice:bob')).toMatchObject([{ seq: 1, from: 'alice', text: 'hello' }]);
  });

  it('resends an unacknowledged message with the same messageId after a reconnect', async () => {
    const sent = client.sendMessage('bob', 'hello', 'm-1');
    const first = await openClient();
    first.close(1006);
    await vi.advanceTimersByTimeAsync(250);
    const second = FakeSocket.latest();
    second.open();
    expect(second.frames('sendMessage')).toMatchObject([{ messageId: 'm-1', to: 'bob', text: 'hello' }]);
    second.reply('sendMessage', (requestId) => ({
      type: 'ack',
      requestId,
      messageId: 'm-1',
      conversationId: 'alice:bob',
      seq: 1,
      sentAt: 5,
      duplicate: true,
    }));
    await expect(sent).resolves.toMatchObject({ duplicate: true });
  });

  it('sends one message of a conversation at a time, in order, so the server stores them in order', async () => {
    const socket = await openClient();
    const one = client.sendMessage('bob', 'one', 'm-1');
    const others = [client.sendMessage('bob', 'two', 'm-2'), client.sendMessage('carol', 'other', 'm-3')];
    expect(socket.frames('sendMessage').map((f) => f.messageId)).toEqual(['m-1', 'm-3']);
    socket.reply('sendMessage', () => ({
      type: 'ack',
      requestId: socket.frames('sendMessage')[0]?.requestId,
      messageId: 'm-1',
      conversationId: 'alice:bob',
      seq: 1,
      sentAt: 5,
      duplicate: false,
    }));
    await one;
    expect(socket.frames('sendMessage').map((f) => f.messageId)).toEqual(['m-1', 'm-3', 'm-2']);
    client.close();
    await expect(Promise.allSettled(others)).resolves.toMatchObject([
      { status: 'rejected' },
      { status: 'rejected' },
    ]);
  });

  it("names the conversation's last seq it holds, so that the server can store the next one sooner", async () => {
    const socket = await openClient();
    const one = client.sendMessage('bob', 'one', 'm-1');
    expect(socket.frames('sendMessage')).toMatchObject([{ messageId: 'm-1', afterSeq: 0 }]);
    socket.reply('sendMessage', (requestId) => ({
      type: 'ack',
      requestId,
      messageId: 'm-1',
      conversationId: 'alice:bob',
      seq: 7,
      sentAt: 5,
      duplicate: false,
    }));
    await one;
    const two = client.sendMessage('bob', 'two', 'm-2');
    expect(socket.frames('sendMessage').at(-1)).toMatchObject({ messageId: 'm-2', afterSeq: 7 });
    client.close();
    await expect(two).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('retries after BUSY with the same messageId, and gives up on a refusal no retry can fix', async () => {
    const socket = await openClient();
    const busy = client.sendMessage('bob', 'hello', 'm-1');
    socket.reply('sendMessage', (requestId) => ({ type: 'error', requestId, code: 'BUSY', message: 'busy' }));
    await vi.advanceTimersByTimeAsync(250);
    expect(socket.frames('sendMessage').map((f) => f.messageId)).toEqual(['m-1', 'm-1']);
    socket.reply('sendMessage', (requestId) => ({
      type: 'error',
      requestId,
      code: 'UNKNOWN_RECIPIENT',
      message: 'who?',
    }));
    await expect(busy).rejects.toMatchObject({ code: 'UNKNOWN_RECIPIENT' });
    expect(client.pending()).toHaveLength(0);
  });

  it('retries after RATE_LIMITED no sooner than the retryAfterMs the server gave', async () => {
    const socket = await openClient();
    const limited = client.sendMessage('bob', 'hello', 'm-1');
    socket.reply('sendMessage', (requestId) => ({
      type: 'error',
      requestId,
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfterMs: 4000,
    }));
    await vi.advanceTimersByTimeAsync(3999);
    expect(socket.frames('sendMessage')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.frames('sendMessage').map((f) => f.messageId)).toEqual(['m-1', 'm-1']);
    socket.reply('sendMessage', (requestId) => ({
      type: 'ack',
      requestId,
      messageId: 'm-1',
      conversationId: 'alice:bob',
      seq: 1,
      sentAt: 1,
      duplicate: false,
    }));
    await expect(limited).resolves.toMatchObject({ seq: 1 });
  });

  it('rejects unsent messages with CLOSED when closed for good', async () => {
    const sent = client.sendMessage('bob', 'hello');
    client.close();
    await expect(sent).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('receipts', () => {
  it('reports a synced run as delivered in one receipt, after a short wait', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(4), message(5)] });
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(6)] });
    expect(socket.frames('receipt')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(250);
    expect(socket.frames('receipt')).toMatchObject([
      { conversationId: 'alice:bob', status: 'delivered', upTo: 6 },
    ]);
  });

  it('reports "seen" alone when it covers every message delivered', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(1), message(2)] });
    client.markSeen('alice:bob', 2);
    // Unread counts on this device follow at once, before the receipt goes (it gets no reply).
    expect(client.store.seenUpTo('alice:bob')).toBe(2);
    await vi.advanceTimersByTimeAsync(250);
    expect(socket.frames('receipt')).toMatchObject([{ status: 'seen', upTo: 2 }]);
  });

  it('sends a receipt owed while disconnected on the next connection', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(1)] });
    socket.close(1006);
    await vi.advanceTimersByTimeAsync(250);
    expect(socket.frames('receipt')).toHaveLength(0);
    const next = FakeSocket.latest();
    next.open();
    await vi.advanceTimersByTimeAsync(250);
    expect(next.frames('receipt')).toMatchObject([{ status: 'delivered', upTo: 1 }]);
  });

  it('sends receipts without a requestId and does not report a run again once sent', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(1)] });
    await vi.advanceTimersByTimeAsync(250);
    socket.push({ type: 'message', ...message(1) });
    await vi.advanceTimersByTimeAsync(1000);
    const receipts = socket.frames('receipt');
    expect(receipts).toMatchObject([{ status: 'delivered', upTo: 1 }]);
    expect(receipts[0]).not.toHaveProperty('requestId');
  });

  it('reports again a run that the next sync sends back: its receipt was lost with the socket', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(1), message(2)] });
    await vi.advanceTimersByTimeAsync(250);
    expect(socket.frames('receipt')).toMatchObject([{ status: 'delivered', upTo: 2 }]);
    socket.close(1006);
    await vi.advanceTimersByTimeAsync(250);
    const next = FakeSocket.latest();
    next.open();
    next.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(2)] });
    await vi.advanceTimersByTimeAsync(250);
    expect(next.frames('receipt')).toMatchObject([{ status: 'delivered', upTo: 2 }]);
  });

  it('fetches a hole in the seqs that does not fill by itself', async () => {
    const socket = await openClient();
    socket.push({ type: 'sync', conversationId: 'alice:bob', messages: [message(1), message(3)] });
    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.frames('getMessages')).toMatchObject([{ conversationId: 'alice:bob', after: 1 }]);
  });
});

describe('push subscription and muted conversations', () => {
  const subscription = {
    endpoint: 'https://fcm.googleapis.com/fcm/send/abc',
    expirationTime: null,
    keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) },
  };

  it('sends the subscription and resolves with the server’s pushSubscription reply', async () => {
    const socket = await openClient();
    const reply = client.setPushSubscription(subscription);
    expect(socket.frames('setPushSubscription').at(-1)).toMatchObject({ subscription });
    socket.reply('setPushSubscription', (requestId) => ({
      type: 'pushSubscription',
      requestId,
      subscribed: true,
      vapidPublicKey: 'key-1',
    }));
    await expect(reply).resolves.toMatchObject({ subscribed: true, vapidPublicKey: 'key-1' });
  });

  it('removes the subscription with null', async () => {
    const socket = await openClient();
    const reply = client.setPushSubscription(null);
    expect(socket.frames('setPushSubscription').at(-1)).toMatchObject({ subscription: null });
    socket.reply('setPushSubscription', (requestId) => ({
      type: 'pushSubscription',
      requestId,
      subscribed: false,
      vapidPublicKey: 'key-1',
    }));
    await expect(reply).resolves.toMatchObject({ subscribed: false });
  });

  it('knows muted conversations from the list, its own mute and another device’s', async () => {
    const socket = await openClient();
    const summary = {
      peer: 'bob',
      lastSeq: 0,
      lastMessage: null,
      unread: 0,
      peerReceipts: { delivered: 0, seen: 0 },
      peerPresence: { userId: 'bob', state: 'online' as const },
    };
    const listed = client.listConversations();
    socket.reply('listConversations', (requestId) => ({
      type: 'conversations',
      requestId,
      conversations: [
        { ...summary, conversationId: 'alice:bob', muted: true },
        { ...summary, peer: 'carol', conversationId: 'alice:carol', muted: false },
      ],
      nextCursor: null,
    }));
    await listed;
    expect([client.isMuted('alice:bob'), client.isMuted('alice:carol')]).toEqual([true, false]);

    const muted = client.muteConversation('alice:carol', true);
    expect(socket.frames('muteConversation').at(-1)).toMatchObject({
      conversationId: 'alice:carol',
      muted: true,
    });
    socket.reply('muteConversation', (requestId) => ({
      type: 'conversationMuted',
      requestId,
      conversationId: 'alice:carol',
      muted: true,
    }));
    await expect(muted).resolves.toMatchObject({ muted: true });
    expect(client.isMuted('alice:carol')).toBe(true);

    // Unmuted on another device: the event comes without a requestId.
    socket.push({ type: 'conversationMuted', conversationId: 'alice:bob', muted: false });
    expect(client.isMuted('alice:bob')).toBe(false);
  });
});
