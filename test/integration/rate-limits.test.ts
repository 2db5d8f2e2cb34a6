import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { RATE_LIMITS, RATE_WINDOW_MS } from '../../contract/rate-limits';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import { connectAs, type Frame, newMessageId, type TestSocket } from '../support/socket';

const harness = useRuntime();
const { open } = harness;

const send = (socket: TestSocket, to: string, text = 'hi') =>
  socket.request({ action: 'sendMessage', messageId: newMessageId(), to, text });

const refusal = (promise: Promise<TestSocket>) =>
  promise.then(
    () => 'connected',
    (error: { status?: number }) => error.status,
  );

const isRateLimited = (frame: Frame) => frame.type === 'error' && frame.code === 'RATE_LIMITED';

describe('rate limits', () => {
  it("answers a flood from one connection with RATE_LIMITED and a retry hint, while another user's sends go through", async () => {
    const [flooder, bystander] = await Promise.all([
      open('flooder'),
      open('bystander'),
      open('victim'),
      open('friend'),
    ]);
    const flood = RATE_LIMITS.send.perConnection + 15;
    const replies = await Promise.all(Array.from({ length: flood }, () => send(flooder, 'victim')));
    const refused = replies.filter(isRateLimited);
    expect(replies.filter((reply) => reply.type === 'ack')).toHaveLength(RATE_LIMITS.send.perConnection);
    expect(refused).toHaveLength(flood - RATE_LIMITS.send.perConnection);
    for (const reply of refused) {
      expect(Number(reply.retryAfterMs)).toBeGreaterThan(0);
      expect(Number(reply.retryAfterMs)).toBeLessThanOrEqual(RATE_WINDOW_MS);
    }
    // Nothing refused was stored.
    expect(await harness.storedMessages('flooder:victim')).toHaveLength(RATE_LIMITS.send.perConnection);

    // Someone else is not slowed down by it.
    const acks = await Promise.all(Array.from({ length: 5 }, () => send(bystander, 'friend')));
    expect(acks.map((ack) => ack.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);

    // After the hint, the flooder may send again.
    const wait = Math.max(...refused.map((reply) => Number(reply.retryAfterMs)));
    await sleep(wait);
    expect(await send(flooder, 'victim')).toMatchObject({ type: 'ack' });
  });

  it('counts only the receipts that moved no watermark: the messages bound the others', async () => {
    const [reader, writer] = await Promise.all([open('receipt-reader'), open('receipt-writer')]);
    const ack = await send(writer, 'receipt-reader');
    const receipt = () =>
      reader.request({
        action: 'receipt',
        conversationId: 'receipt-reader:receipt-writer',
        status: 'seen',
        upTo: Number(ack.seq),
      });
    /** The reader's receipt units counted so far, over every window. */
    const counted = async () => {
      const { Items } = await harness.db.send(
        new QueryCommand({
          TableName: localTableName('users'),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rate)',
          ExpressionAttributeValues: { ':pk': 'user#receipt-reader', ':rate': 'rate#receipt#' },
          ConsistentRead: true,
        }),
      );
      return (Items ?? []).reduce((sum, item) => sum + Number(item.count ?? 0), 0);
    };
    expect(await receipt()).toMatchObject({ type: 'status', seen: ack.seq });
    expect(await counted()).toBe(0);
    // The same receipt again moves nothing: that one is counted.
    expect(await receipt()).toMatchObject({ type: 'status', seen: ack.seq });
    expect(await counted()).toBe(1);
  });

  it("counts a user's connections together: a second connection gets only what is left", async () => {
    const [phone, laptop] = await Promise.all([open('twin', 'phone'), open('twin', 'laptop')]);
    await open('other-twin');
    const fromPhone = await Promise.all(
      Array.from({ length: RATE_LIMITS.send.perConnection }, () => send(phone, 'other-twin')),
    );
    const fromLaptop = await Promise.all(
      Array.from({ length: RATE_LIMITS.send.perConnection }, () => send(laptop, 'other-twin')),
    );
    const accepted = [...fromPhone, ...fromLaptop].filter((reply) => reply.type === 'ack');
    // Unless the two bursts straddle a window boundary, where a fixed window lets up to twice through.
    expect(accepted.length).toBeGreaterThanOrEqual(RATE_LIMITS.send.perUser);
    if (accepted.length === RATE_LIMITS.send.perUser) {
      expect(fromLaptop.filter(isRateLimited)).toHaveLength(
        2 * RATE_LIMITS.send.perConnection - RATE_LIMITS.send.perUser,
      );
    }
  });

  it('limits presence look-ups by the names asked about, so usernames cannot be probed in bulk', async () => {
    const prober = await open('prober');
    const names = (batch: number) =>
      Array.from({ length: LIMITS.maxPresenceUsers }, (_, i) => `probe-${batch}-${i}`);
    const replies = await Promise.all(
      [0, 1, 2].map((batch) => prober.request({ action: 'getPresence', users: names(batch) })),
    );
    expect(replies.filter((reply) => reply.type === 'presence')).toHaveLength(
      RATE_LIMITS.presence.perConnection / LIMITS.maxPresenceUsers,
    );
    expect(replies.filter(isRateLimited)).toHaveLength(1);
  });
});

describe('sync', () => {
  it('runs once per device: a sync already running or queued is not started again', async () => {
    const { socket } = await harness.openSynced('syncer', 'phone');
    for (const requestId of ['s1', 's2']) socket.send({ action: 'sync', requestId });
    const answered = await Promise.all(
      ['s1', 's2'].map((requestId) => socket.next((frame) => frame.requestId === requestId)),
    );
    expect(answered.map((frame) => frame.type).sort()).toEqual(['ok', 'synced']);

    // Once it finished (it releases the device's sync just after `synced`), the next one runs.
    const lease = () =>
      harness.db.send(
        new GetCommand({
          TableName: localTableName('users'),
          Key: { pk: 'user#syncer', sk: 'syncing#phone' },
          ConsistentRead: true,
        }),
      );
    await expect.poll(async () => (await lease()).Item).toBeUndefined();
    expect(await socket.request({ action: 'sync', requestId: 's3' })).toMatchObject({ type: 'synced' });
  });

  it(`refuses more than ${RATE_LIMITS.sync.perConnection} syncs per window on one connection`, async () => {
    const { socket } = await harness.openSynced('resyncer', 'phone');
    const requests = Array.from({ length: RATE_LIMITS.sync.perConnection + 2 }, (_, i) => `x${i}`);
    for (const requestId of requests) socket.send({ action: 'sync', requestId });
    const answered = await Promise.all(
      requests.map((requestId) => socket.next((frame) => frame.requestId === requestId)),
    );
    expect(answered.filter(isRateLimited)).toHaveLength(2);
  });
});

describe('connection caps', () => {
  it(`accepts ${LIMITS.maxConnectionsPerUser} live connections of a user and refuses one more with 429`, async () => {
    const devices = Array.from(
      { length: LIMITS.maxConnectionsPerUser },
      (_, i) => `dev-${i % LIMITS.maxDevicesPerUser}`,
    );
    for (const deviceId of devices) await open('many', deviceId);
    expect(await harness.connectionIds('many')).toHaveLength(LIMITS.maxConnectionsPerUser);
    expect(await refusal(connectAs(harness.runtime, 'many', { deviceId: 'dev-0' }))).toBe(429);
    expect(await harness.connectionIds('many')).toHaveLength(LIMITS.maxConnectionsPerUser);
  });

  it(`accepts ${LIMITS.maxDevicesPerUser} devices at once and refuses another device with 429`, async () => {
    for (let i = 0; i < LIMITS.maxDevicesPerUser; i++) await open('gadgets', `gadget-${i}`);
    expect(await refusal(connectAs(harness.runtime, 'gadgets', { deviceId: 'one-too-many' }))).toBe(429);
    // Another connection of a device already connected is still welcome.
    const tab = await open('gadgets', 'gadget-0');
    expect((await tab.request({ action: 'heartbeat' })).type).toBe('heartbeat');
  });
});
