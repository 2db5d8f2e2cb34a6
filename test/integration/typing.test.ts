import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { conversationIdOf } from '../../contract/protocol/ids';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import type { Frame, TestSocket } from '../support/socket';

const harness = useRuntime();
const { open } = harness;

const isTyping = (from: string, state?: string) => (frame: Frame) =>
  frame.type === 'typing' && frame.from === from && (state === undefined || frame.state === state);

/** The keys of every item in the users' partitions, their conversation, and its messages. */
async function storedFor(a: string, b: string) {
  const partitions = await Promise.all(
    [a, b].map((userId) =>
      harness.db.send(
        new QueryCommand({
          TableName: localTableName('users'),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `user#${userId}` },
          ConsistentRead: true,
        }),
      ),
    ),
  );
  const conversationId = conversationIdOf(a, b);
  const [head, messages] = await Promise.all([
    harness.db.send(new GetCommand({ TableName: localTableName('conversations'), Key: { conversationId } })),
    harness.db.send(
      new QueryCommand({
        TableName: localTableName('messages'),
        KeyConditionExpression: 'conversationId = :c',
        ExpressionAttributeValues: { ':c': conversationId },
      }),
    ),
  ]);
  return {
    // Heartbeats move connections' times, the drain marks each device synced (after its `synced`
    // event), and every frame of a limited action counts in a rate-limit window: what counts here is
    // which other items exist.
    users: partitions.flatMap((result) =>
      (result.Items ?? []).flatMap((item) =>
        /^(device|rate)#/.test(String(item.sk)) ? [] : `${item.pk} ${item.sk}`,
      ),
    ),
    head: head.Item,
    messages: messages.Items,
  };
}

/** A heartbeat's reply comes back on the same connection, after any reply to frames sent before it. */
async function roundTrip(socket: TestSocket): Promise<void> {
  expect((await socket.request({ action: 'heartbeat' })).type).toBe('heartbeat');
}

describe('typing', () => {
  it("reaches every device of the peer, not the sender's, stores nothing, and expires by itself", async () => {
    const [anna, annaTablet, benPhone, benLaptop] = await Promise.all([
      open('anna', 'phone'),
      open('anna', 'tablet'),
      open('ben', 'phone'),
      open('ben', 'laptop'),
    ]);
    const stored = await storedFor('anna', 'ben');
    const sentAt = Date.now();
    anna.send({ action: 'typing', requestId: 't1', to: 'ben', state: 'typing' });
    const [onPhone, onLaptop] = await Promise.all([
      benPhone.next(isTyping('anna')),
      benLaptop.next(isTyping('anna')),
    ]);
    expect(onPhone).toEqual({
      type: 'typing',
      conversationId: 'anna:ben',
      from: 'anna',
      state: 'typing',
      expiresAt: onPhone.expiresAt,
    });
    expect(onLaptop).toEqual(onPhone);
    expect(Number(onPhone.expiresAt)).toBeGreaterThanOrEqual(sentAt + LIMITS.typingTtlMs);
    expect(Number(onPhone.expiresAt)).toBeLessThanOrEqual(Date.now() + LIMITS.typingTtlMs);

    anna.send({ action: 'typing', to: 'ben', state: 'stopped' });
    await benPhone.next(isTyping('anna', 'stopped'));
    await roundTrip(anna);
    expect(anna.received.filter((frame) => frame.requestId === 't1')).toEqual([]);
    expect(annaTablet.ofType('typing')).toEqual([]);

    // Nothing was stored: not in the users' partitions, not as a conversation or a message.
    expect(await storedFor('anna', 'ben')).toEqual(stored);
    expect(stored).toMatchObject({ head: undefined, messages: [] });
  });

  it('passes at most one "typing" per interval from each instance, and one again after the interval', async () => {
    const [cleo, dan] = await Promise.all([open('cleo'), open('dan')]);
    for (let i = 0; i < 5; i++) cleo.send({ action: 'typing', to: 'dan', state: 'typing' });
    const first = await dan.next(isTyping('cleo'));
    // Concurrent frames run in separate instances, as on Lambda, each with a limiter of its own: the
    // limit holds per instance only (docs/protocol.md), so a burst passes at most once per instance.
    expect(dan.received.filter(isTyping('cleo')).length).toBeLessThanOrEqual(
      harness.runtime.instanceCount('typing'),
    );
    await sleep(LIMITS.typingMinIntervalMs);
    const before = dan.received.filter(isTyping('cleo')).length;
    cleo.send({ action: 'typing', to: 'dan', state: 'typing' });
    const later = await dan.next(
      (frame) =>
        isTyping('cleo')(frame) &&
        Number(frame.expiresAt) > Number(first.expiresAt) + LIMITS.typingMinIntervalMs / 2,
    );
    expect(dan.received.filter(isTyping('cleo')).length).toBeGreaterThan(before);
    expect(later.state).toBe('typing');
    await roundTrip(cleo);
    expect(cleo.ofType('error')).toEqual([]);
  });

  it('refuses typing to oneself and to an unknown user, with the request id', async () => {
    const eve = await open('eve');
    expect(
      await eve.request({ action: 'typing', requestId: 'e1', to: 'eve', state: 'typing' }),
    ).toMatchObject({
      type: 'error',
      requestId: 'e1',
      code: 'SELF_SEND',
    });
    expect(
      await eve.request({ action: 'typing', requestId: 'e2', to: 'no-such-user', state: 'typing' }),
    ).toMatchObject({ type: 'error', requestId: 'e2', code: 'UNKNOWN_RECIPIENT' });
  });
});
