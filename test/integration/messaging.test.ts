import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import { newMessageId, openSocket, type TestSocket } from '../support/socket';

const harness = useRuntime();
const { open, storedMessages } = harness;

describe('connecting', () => {
  const refusal = (url: string) =>
    openSocket(url).then(
      () => 'connected',
      (error: { status?: number }) => error.status,
    );

  it('refuses a connection without a token with 401', async () => {
    expect(await refusal(harness.runtime.wsUrl)).toBe(401);
  });

  it('refuses a malformed token with 401', async () => {
    expect(await refusal(`${harness.runtime.wsUrl}?token=not-a-jwt`)).toBe(401);
  });

  it('refuses an expired token with 401', async () => {
    const { token } = await harness.runtime.issuer.issue('expired', { expiresInSeconds: -60 });
    expect(await refusal(`${harness.runtime.wsUrl}?token=${token}`)).toBe(401);
  });

  it('hands out a genuinely expired token on request, which the upgrade refuses with 401', async () => {
    const answer = await fetch(
      `${harness.runtime.httpUrl}/auth/token?username=expiring&expiresInSeconds=-60`,
    );
    const { token, expiresAt } = (await answer.json()) as { token: string; expiresAt: number };

    expect(expiresAt).toBeLessThan(Date.now());
    expect(await refusal(`${harness.runtime.wsUrl}?token=${token}`)).toBe(401);
  });

  it('refuses a token signed by another key with 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ token_use: 'id', 'cognito:username': 'mallory' })
      .setProtectedHeader({ alg: 'RS256', kid: 'local-issuer-key' })
      .setIssuer(harness.runtime.issuer.issuer)
      .setAudience(harness.runtime.issuer.audience)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await refusal(`${harness.runtime.wsUrl}?token=${forged}`)).toBe(401);
  });

  it('refuses a token for another app client with 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ token_use: 'id', 'cognito:username': 'alice' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://elsewhere.example')
      .setAudience('other-client')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await refusal(`${harness.runtime.wsUrl}?token=${token}`)).toBe(401);
  });

  it('refuses an invalid device id with 403', async () => {
    const { token } = await harness.runtime.issuer.issue('alice');
    expect(
      await refusal(`${harness.runtime.wsUrl}?token=${token}&deviceId=${encodeURIComponent('no spaces!')}`),
    ).toBe(403);
  });

  it('accepts a valid token and answers a heartbeat', async () => {
    const socket = await open('hearty');
    const reply = await socket.request({ action: 'heartbeat', requestId: 'hb1' });
    expect(reply).toMatchObject({
      type: 'heartbeat',
      requestId: 'hb1',
      intervalMs: LIMITS.heartbeatIntervalMs,
    });
    expect(reply.expiresAt).toBeGreaterThan(Date.now());
  });
});

describe('sending messages', () => {
  let alice: TestSocket;
  let bob: TestSocket;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([open('alice'), open('bob')]);
  });

  it('acknowledges the sender and delivers to the recipient in real time', async () => {
    const messageId = newMessageId();
    const before = Date.now();
    const ack = await alice.request({ action: 'sendMessage', messageId, to: 'bob', text: 'hello bob' });
    expect(ack).toMatchObject({
      type: 'ack',
      messageId,
      conversationId: 'alice:bob',
      seq: 1,
      duplicate: false,
    });
    expect(ack.sentAt).toBeGreaterThanOrEqual(before);

    const received = await bob.next((frame) => frame.type === 'message' && frame.messageId === messageId);
    expect(received).toEqual({
      type: 'message',
      conversationId: 'alice:bob',
      seq: 1,
      messageId,
      from: 'alice',
      to: 'bob',
      text: 'hello bob',
      sentAt: ack.sentAt,
    });

    const reply = await bob.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'alice',
      text: 'hi!',
    });
    expect(reply).toMatchObject({ type: 'ack', conversationId: 'alice:bob', seq: 2 });
    const back = await alice.next((frame) => frame.type === 'message' && frame.seq === 2);
    expect(back).toMatchObject({ from: 'bob', to: 'alice', text: 'hi!' });
  });

  it('gives concurrent messages from both sides gap-free, distinct sequence numbers', async () => {
    const sends = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? alice : bob).request({
        action: 'sendMessage',
        messageId: newMessageId(),
        to: i % 2 === 0 ? 'bob' : 'alice',
        text: `burst ${i}`,
      }),
    );
    const acks = await Promise.all(sends);
    const seqs = acks.map((ack) => Number(ack.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    const stored = await storedMessages('alice:bob');
    expect(stored.map((item) => item.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
  });

  it('answers a retry with the same acknowledgement and stores and delivers nothing twice', async () => {
    const frame = { action: 'sendMessage', messageId: newMessageId(), to: 'bob', text: 'only once' };
    const first = await alice.request(frame);
    const retry = await alice.request(frame);
    expect(retry).toMatchObject({ ...first, requestId: retry.requestId, duplicate: true });
    expect({ ...retry, requestId: first.requestId, duplicate: false }).toEqual(first);

    // A marker sent afterwards bounds the wait: once it arrives, any duplicate would have arrived too.
    const marker = newMessageId();
    await alice.request({ action: 'sendMessage', messageId: marker, to: 'bob', text: 'marker' });
    await bob.next((f) => f.messageId === marker);
    expect(bob.received.filter((f) => f.type === 'message' && f.messageId === frame.messageId)).toHaveLength(
      1,
    );
    const stored = await storedMessages('alice:bob');
    expect(stored.filter((item) => item.messageId === frame.messageId)).toHaveLength(1);
  });

  it('deduplicates a retry sent after a reconnect', async () => {
    const frame = { action: 'sendMessage', messageId: newMessageId(), to: 'bob', text: 'sent before a drop' };
    const first = await alice.request(frame);
    const again = await open('alice');
    const retry = await again.request(frame);
    expect(retry).toMatchObject({ seq: first.seq, duplicate: true });
    await again.close();
  });

  it('refuses a reused message id with different content', async () => {
    const messageId = newMessageId();
    await alice.request({ action: 'sendMessage', messageId, to: 'bob', text: 'original' });
    const reply = await alice.request({ action: 'sendMessage', messageId, to: 'bob', text: 'changed' });
    expect(reply).toMatchObject({ type: 'error', code: 'MESSAGE_ID_REUSED' });
  });
});

describe('several devices', () => {
  it("delivers to every device of the recipient and to the sender's other devices, not back to the sender", async () => {
    const [phone, laptop, tablet, desktop] = await Promise.all([
      open('carol', 'phone'),
      open('carol', 'laptop'),
      open('dave', 'tablet'),
      open('dave', 'desktop'),
    ]);
    const messageId = newMessageId();
    const ack = await phone.request({ action: 'sendMessage', messageId, to: 'dave', text: 'to all of you' });
    expect(ack.type).toBe('ack');
    const isIt = (frame: Record<string, unknown>) =>
      frame.type === 'message' && frame.messageId === messageId;
    await Promise.all([tablet.next(isIt), desktop.next(isIt), laptop.next(isIt)]);
    const marker = newMessageId();
    await laptop.request({ action: 'sendMessage', messageId: marker, to: 'dave', text: 'marker' });
    await phone.next((frame) => frame.messageId === marker);
    expect(phone.received.filter(isIt)).toHaveLength(0);
  });
});

describe('stale connections', () => {
  it('removes a connection that is gone without failing the send, and keeps the message', async () => {
    const erin = await open('erin');
    const frank = await open('frank');
    // A record whose $disconnect never came: its socket no longer exists (the @connections API answers 410).
    await new DynamoUserStore(harness.db, localTableName('users')).addConnection({
      userId: 'frank',
      connectionId: 'GoneConnection0=',
      deviceId: 'old-phone',
      connectedAt: Date.now() - 60_000,
      freshUntil: Date.now() + 60_000,
    });
    const messageId = newMessageId();
    const ack = await erin.request({
      action: 'sendMessage',
      messageId,
      to: 'frank',
      text: 'still delivered',
    });
    expect(ack).toMatchObject({ type: 'ack', seq: 1 });
    await frank.next((frame) => frame.messageId === messageId);
    // The ack goes out before the pushes finish; the gone record is removed once its push is answered.
    await expect.poll(() => harness.connectionIds('frank')).not.toContain('GoneConnection0=');
    expect(await harness.connectionIds('frank')).toHaveLength(1);
    expect((await storedMessages('erin:frank')).map((item) => item.text)).toEqual(['still delivered']);
  });
});

describe('bad frames', () => {
  let grace: TestSocket;

  beforeAll(async () => {
    grace = await open('grace');
    await open('heidi');
  });

  const cases: { name: string; frame: unknown; code: string }[] = [
    { name: 'an unknown action', frame: { action: 'dance', requestId: 'q1' }, code: 'UNKNOWN_ACTION' },
    { name: 'no action', frame: { requestId: 'q2', to: 'heidi' }, code: 'UNKNOWN_ACTION' },
    {
      name: 'a missing field',
      frame: { action: 'sendMessage', requestId: 'q3', to: 'heidi', text: 'x' },
      code: 'INVALID_FRAME',
    },
    {
      name: 'a mistyped field',
      frame: { action: 'sendMessage', requestId: 'q4', messageId: 'a1', to: 'heidi', text: 42 },
      code: 'INVALID_FRAME',
    },
    {
      name: 'an empty text',
      frame: { action: 'sendMessage', requestId: 'q5', messageId: 'a2', to: 'heidi', text: '' },
      code: 'INVALID_FRAME',
    },
    {
      name: 'a text over the limit',
      frame: {
        action: 'sendMessage',
        requestId: 'q6',
        messageId: 'a3',
        to: 'heidi',
        text: 'x'.repeat(LIMITS.maxTextLength + 1),
      },
      code: 'TEXT_TOO_LONG',
    },
    {
      name: 'a text of 4001 UTF-16 code units (2000 emoji and one letter)',
      frame: {
        action: 'sendMessage',
        requestId: 'q6e',
        messageId: 'a3e',
        to: 'heidi',
        text: `${'😀'.repeat(LIMITS.maxTextLength / 2)}x`,
      },
      code: 'TEXT_TOO_LONG',
    },
    {
      name: 'a text with a lone surrogate (ill-formed UTF-16)',
      frame: {
        action: 'sendMessage',
        requestId: 'q6s',
        messageId: 'a3s',
        to: 'heidi',
        text: 'bad \ud800 half',
      },
      code: 'INVALID_FRAME',
    },
    {
      name: 'a text with a lone low surrogate at the end',
      frame: { action: 'sendMessage', requestId: 'q6t', messageId: 'a3t', to: 'heidi', text: 'tail \udc00' },
      code: 'INVALID_FRAME',
    },
    {
      name: 'an unknown recipient',
      frame: { action: 'sendMessage', requestId: 'q7', messageId: 'a4', to: 'nobody-here', text: 'hi' },
      code: 'UNKNOWN_RECIPIENT',
    },
    {
      name: 'a message to oneself',
      frame: { action: 'sendMessage', requestId: 'q8', messageId: 'a5', to: 'grace', text: 'hi me' },
      code: 'SELF_SEND',
    },
    {
      name: 'an extra field',
      frame: {
        action: 'sendMessage',
        requestId: 'q9',
        messageId: 'a6',
        to: 'heidi',
        text: 'hi',
        from: 'mallory',
      },
      code: 'INVALID_FRAME',
    },
    {
      name: 'an invalid recipient name',
      frame: { action: 'sendMessage', requestId: 'q10', messageId: 'a7', to: 'Not:Valid', text: 'hi' },
      code: 'INVALID_FRAME',
    },
  ];

  for (const { name, frame, code } of cases) {
    it(`answers ${name} with ${code} and the request id`, async () => {
      const requestId = (frame as { requestId: string }).requestId;
      const reply = grace.next((f) => f.requestId === requestId);
      grace.send(frame as Record<string, unknown>);
      expect(await reply).toMatchObject({ type: 'error', requestId, code });
      expect(typeof (await reply).message).toBe('string');
    });
  }

  it('answers a frame that is not JSON with BAD_JSON', async () => {
    const reply = grace.next((f) => f.type === 'error' && f.code === 'BAD_JSON');
    grace.sendRaw('{"action": "sendMessage",');
    expect(await reply).toMatchObject({ type: 'error', code: 'BAD_JSON' });
  });

  it('answers a JSON value that is not an object with INVALID_FRAME', async () => {
    const reply = grace.next(
      (f) => f.type === 'error' && f.code === 'INVALID_FRAME' && f.requestId === undefined,
    );
    grace.sendRaw('[1,2,3]');
    expect(await reply).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
  });

  it('stored nothing and kept the connection open', async () => {
    expect(await storedMessages('grace:heidi')).toEqual([]);
    expect(await storedMessages('grace:nobody-here')).toEqual([]);
    const ack = await grace.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'heidi',
      text: 'fine now',
    });
    expect(ack).toMatchObject({ type: 'ack', seq: 1 });
  });

  it('closes the socket with 1009 when a message exceeds 128 KB', async () => {
    const ivan = await open('ivan');
    ivan.sendRaw(JSON.stringify({ action: 'sendMessage', text: 'x'.repeat(LIMITS.maxMessageBytes) }));
    expect((await ivan.closed).code).toBe(1009);
  });
});

describe('conversation activity', () => {
  const activityOf = async (conversationId: string) => {
    const head = await harness.db.send(
      new GetCommand({
        TableName: localTableName('conversations'),
        Key: { conversationId },
        ConsistentRead: true,
      }),
    );
    return String(head.Item?.activity);
  };
  const send = async (from: TestSocket, to: string) =>
    from.request({ action: 'sendMessage', messageId: newMessageId(), to, text: 'hi' });

  it('moves once for a burst of messages, and again for the first one after a hide, so the list stays in order', async () => {
    const [ada, bo] = await Promise.all([open('act-ada'), open('act-bo')]);
    const first = await send(ada, 'act-bo');
    const moved = await activityOf('act-ada:act-bo');
    expect(moved.startsWith(String(first.sentAt).padStart(15, '0'))).toBe(true);
    const second = await send(bo, 'act-ada');
    // Within the minute: the index entries keep their key; the list places it by its last message.
    expect(await activityOf('act-ada:act-bo')).toBe(moved);
    const listed = await ada.request({ action: 'listConversations' });
    expect(listed).toMatchObject({
      conversations: [{ conversationId: 'act-ada:act-bo', lastMessage: { seq: second.seq } }],
    });

    expect(await bo.request({ action: 'hideConversation', conversationId: 'act-ada:act-bo' })).toMatchObject({
      type: 'ok',
    });
    const third = await send(ada, 'act-bo');
    expect(await activityOf('act-ada:act-bo')).toBe(
      `${String(third.sentAt).padStart(15, '0')}#act-ada:act-bo`,
    );
    expect(await bo.request({ action: 'listConversations' })).toMatchObject({
      conversations: [{ conversationId: 'act-ada:act-bo' }],
    });
  });
});
