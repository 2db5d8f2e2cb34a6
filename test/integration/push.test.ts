import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { conversationIdOf } from '../../contract/protocol/ids';
import { PUSH, type PushPayload } from '../../contract/push';
import { topicOf } from '../../lambdas/core/push';
import { localTableName } from '../../local/provision';
import type { LocalSubscription, ReceivedPush } from '../../local/push-service';
import { sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { newMessageId, type TestSocket } from '../support/socket';

/** Invocations started and finished, per function: the runtime's own report of completion. */
const started = new Map<string, number>();
const finished = new Map<string, number>();
const bump = (counts: Map<string, number>, name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);

const harness = useRuntime({
  // A failed push is retried twice, as Lambda does, but after 50 ms instead of one and two minutes.
  asyncRetryDelaysMs: [50, 50],
  onGatewayEvent: (event) => {
    if (event.type === 'invokeStart') bump(started, event.function);
    if (event.type === 'invoke') bump(finished, event.function);
  },
});

/**
 * Every invocation started so far has finished: a send's push has been decided (sendMessage awaits
 * starting it) and run. A retry waiting for its delay is not in flight; the outage test waits for
 * the failure destination instead.
 */
async function settled(): Promise<void> {
  await vi.waitFor(
    () => {
      for (const [name, count] of started) expect(finished.get(name) ?? 0, name).toBe(count);
    },
    { timeout: 15_000, interval: 25 },
  );
}

/** Opens a device, subscribes it at the local push service with the deployment's key, and says so to the server. */
async function subscribedDevice(
  user: string,
  deviceId: string,
): Promise<{ socket: TestSocket; sub: LocalSubscription }> {
  const socket = await harness.open(user, deviceId);
  const sub = harness.runtime.pushService.subscribe(harness.runtime.vapidPublicKey);
  const reply = await socket.request({ action: 'setPushSubscription', subscription: sub.json });
  expect(reply).toMatchObject({
    type: 'pushSubscription',
    subscribed: true,
    vapidPublicKey: harness.runtime.vapidPublicKey,
  });
  return { socket, sub };
}

/** A device that subscribed and then went offline ($disconnect has removed its connection). */
async function offlineDevice(user: string, deviceId: string): Promise<LocalSubscription> {
  const { socket, sub } = await subscribedDevice(user, deviceId);
  await socket.close();
  await vi.waitFor(async () => expect(await harness.connectionIds(user)).toEqual([]), { timeout: 10_000 });
  return sub;
}

async function arrived(sub: LocalSubscription, count = 1): Promise<ReceivedPush[]> {
  await vi.waitFor(() => expect(harness.runtime.pushService.pending(sub.id)).toHaveLength(count), {
    timeout: 15_000,
    interval: 25,
  });
  return harness.runtime.pushService.pending(sub.id);
}

const payloadOf = (push: ReceivedPush | undefined) => JSON.parse(push?.payload ?? 'null') as PushPayload;

async function send(from: TestSocket, to: string, text: string) {
  const ack = await from.request({ action: 'sendMessage', messageId: newMessageId(), to, text });
  expect(ack.type).toBe('ack');
  return ack;
}

async function profile(userId: string): Promise<Record<string, unknown>> {
  const result = await harness.db.send(
    new GetCommand({
      TableName: localTableName('users'),
      Key: { pk: `user#${userId}`, sk: '#profile' },
      ConsistentRead: true,
    }),
  );
  return result.Item ?? {};
}

async function subscriptionItem(userId: string, deviceId: string) {
  const result = await harness.db.send(
    new GetCommand({
      TableName: localTableName('users'),
      Key: { pk: `user#${userId}`, sk: `push#${deviceId}` },
      ConsistentRead: true,
    }),
  );
  return result.Item;
}

describe('Web Push to offline devices', () => {
  it('pushes one decryptable notification with the documented payload to an offline subscribed device', async () => {
    const sub = await offlineDevice('pbob', 'pbob-laptop');
    const alice = await harness.open('palice', 'palice-phone');
    const ack = await send(alice, 'pbob', 'Are we still on for tonight?');

    const [push] = await arrived(sub);
    const conversationId = conversationIdOf('palice', 'pbob');
    expect(payloadOf(push)).toEqual({
      v: 1,
      type: 'message',
      conversationId,
      from: 'palice',
      seq: 1,
      sentAt: ack.sentAt,
      unread: 1,
      preview: 'Are we still on for tonight?',
      media: null,
    });
    expect(push).toMatchObject({ ttl: PUSH.ttlSeconds, urgency: 'normal', topic: topicOf(conversationId) });
  });

  it('does not push to a device that is connected, while its offline twin gets the push', async () => {
    const laptop = await offlineDevice('pcarl', 'pcarl-laptop');
    const { socket: phoneSocket, sub: phone } = await subscribedDevice('pcarl', 'pcarl-phone');
    const dana = await harness.open('pdana', 'pdana-phone');
    await send(dana, 'pcarl', 'hello');

    await phoneSocket.next((frame) => frame.type === 'message');
    expect(payloadOf((await arrived(laptop))[0]).from).toBe('pdana');
    await settled();
    expect(harness.runtime.pushService.pending(phone.id)).toEqual([]);
  });

  it('says only who wrote when the recipient turned previews off', async () => {
    const { socket } = await subscribedDevice('perin', 'perin-laptop');
    expect(await socket.request({ action: 'updateSettings', pushPreviews: false })).toMatchObject({
      type: 'settings',
      pushPreviews: false,
    });
    await socket.close();
    await vi.waitFor(async () => expect(await harness.connectionIds('perin')).toEqual([]));
    const sub = harness.runtime.pushService.subscribe();
    // The earlier subscription is replaced: one device, one subscription.
    const again = await harness.open('perin', 'perin-laptop');
    await again.request({ action: 'setPushSubscription', subscription: sub.json });
    await again.close();
    await vi.waitFor(async () => expect(await harness.connectionIds('perin')).toEqual([]));

    const fay = await harness.open('pfay', 'pfay-phone');
    await send(fay, 'perin', 'a secret');
    expect(payloadOf((await arrived(sub))[0])).toMatchObject({ from: 'pfay', preview: null, media: null });
  });

  it('does not push a muted conversation, and pushes the others', async () => {
    const { socket, sub: earlier } = await subscribedDevice('pgus', 'pgus-laptop');
    const other = await harness.open('pgus', 'pgus-phone');
    const muted = conversationIdOf('phal', 'pgus');
    const reply = await socket.request({ action: 'muteConversation', conversationId: muted, muted: true });
    expect(reply).toMatchObject({ type: 'conversationMuted', conversationId: muted, muted: true });
    expect(await other.next((frame) => frame.type === 'conversationMuted')).toEqual({
      type: 'conversationMuted',
      conversationId: muted,
      muted: true,
    });
    await Promise.all([socket.close(), other.close()]);
    await vi.waitFor(async () => expect(await harness.connectionIds('pgus')).toEqual([]));

    const hal = await harness.open('phal', 'phal-phone');
    const ivy = await harness.open('pivy', 'pivy-phone');
    await send(hal, 'pgus', 'muted one');
    await settled();
    await send(ivy, 'pgus', 'not muted');
    const [push] = await arrived(earlier);
    expect(payloadOf(push).from).toBe('pivy');

    const back = await harness.open('pgus', 'pgus-phone');
    const list = await back.request({ action: 'listConversations' });
    const conversations = list.conversations as { conversationId: string; muted: boolean }[];
    expect(conversations.map((c) => [c.conversationId, c.muted]).sort()).toEqual(
      [
        [muted, true],
        [conversationIdOf('pivy', 'pgus'), false],
      ].sort(),
    );
  });

  it('refuses to mute a conversation that is not yours', async () => {
    const socket = await harness.open('pjon', 'pjon-phone');
    const reply = await socket.request({
      action: 'muteConversation',
      requestId: 'mute-1',
      conversationId: conversationIdOf('pkim', 'plee'),
      muted: true,
    });
    expect(reply).toMatchObject({ type: 'error', requestId: 'mute-1', code: 'NOT_A_PARTICIPANT' });
  });

  it('deletes a subscription its push service answers 410 for, and does not try it again', async () => {
    const sub = await offlineDevice('pmia', 'pmia-laptop');
    harness.runtime.pushService.expire(sub.id);
    const ned = await harness.open('pned', 'pned-phone');
    await send(ned, 'pmia', 'anyone there?');

    await vi.waitFor(async () => expect(await subscriptionItem('pmia', 'pmia-laptop')).toBeUndefined(), {
      timeout: 15_000,
    });
    expect((await profile('pmia')).pushDevices).toBeUndefined();
    await settled();
    const pushesBefore = started.get('push') ?? 0;
    await send(ned, 'pmia', 'still?');
    await settled();
    expect(started.get('push') ?? 0).toBe(pushesBefore);
  });

  it('collapses a burst into one pending notification that counts every unread message', async () => {
    const sub = await offlineDevice('pola', 'pola-laptop');
    const pat = await harness.open('ppat', 'ppat-phone');
    await sendMany(pat, 'pola', 10);
    await settled();
    const pending = harness.runtime.pushService.pending(sub.id);
    expect(pending).toHaveLength(1);
    // Each push counts what was unread when it was built; the last one sent carries its own seq.
    expect(payloadOf(pending[0]).unread).toBe(payloadOf(pending[0]).seq);

    // Once the burst's pushes are done, the next message's push replaces the notification.
    await send(pat, 'pola', 'one more');
    await settled();
    const [latest] = harness.runtime.pushService.pending(sub.id);
    expect(harness.runtime.pushService.pending(sub.id)).toHaveLength(1);
    expect(payloadOf(latest)).toMatchObject({ seq: 11, unread: 11, preview: 'one more' });
  });

  it('keeps sending through a push service outage; the failed push ends in the failure destination', async () => {
    const sub = await offlineDevice('pquin', 'pquin-laptop');
    const ray = await harness.open('pray', 'pray-phone');
    harness.runtime.pushService.setOutage('error');
    try {
      const acks = await sendMany(ray, 'pquin', 3);
      expect(acks.map((ack) => ack.seq).sort()).toEqual([1, 2, 3]);
      await vi.waitFor(
        () => {
          const failures = harness.runtime.failedEvents().filter((f) => f.functionName === 'push');
          expect(failures.length).toBeGreaterThan(0);
          expect(failures[0]).toMatchObject({
            attempts: 3,
            event: { to: 'pquin', deviceIds: ['pquin-laptop'] },
            error: expect.stringContaining('PushRetryableError'),
          });
        },
        { timeout: 15_000, interval: 25 },
      );
    } finally {
      harness.runtime.pushService.setOutage('none');
    }
    expect(harness.runtime.pushService.pending(sub.id)).toEqual([]);
    // The subscription stays: an outage is not a gone subscription.
    expect(await subscriptionItem('pquin', 'pquin-laptop')).toBeDefined();
  });
});

describe('setPushSubscription', () => {
  const valid = () => harness.runtime.pushService.subscribe().json;

  it('refuses an endpoint that is not on a known push service', async () => {
    const socket = await harness.open('psam', 'psam-phone');
    for (const endpoint of [
      'https://evil.example/push/1',
      'https://fcm.googleapis.com.evil.example/push/1',
      'https://xfcm.googleapis.com/push/1',
      'http://fcm.googleapis.com/fcm/send/1',
    ]) {
      const reply = await socket.request({
        action: 'setPushSubscription',
        requestId: 'bad-host',
        subscription: { ...valid(), endpoint },
      });
      expect(reply, endpoint).toMatchObject({
        type: 'error',
        requestId: 'bad-host',
        code: 'PUSH_SERVICE_NOT_ALLOWED',
      });
    }
    const google = await socket.request({
      action: 'setPushSubscription',
      subscription: { ...valid(), endpoint: 'https://fcm.googleapis.com/fcm/send/abc' },
    });
    expect(google).toMatchObject({ type: 'pushSubscription', subscribed: true });
  });

  it('refuses a p256dh that is not a P-256 point, and a malformed auth secret', async () => {
    const socket = await harness.open('ptom', 'ptom-phone');
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
    const notAPoint = await socket.request({
      action: 'setPushSubscription',
      requestId: 'bad-key',
      subscription: { ...valid(), keys: { ...valid().keys, p256dh: offCurve } },
    });
    expect(notAPoint).toMatchObject({ type: 'error', requestId: 'bad-key', code: 'INVALID_FRAME' });
    const shortAuth = await socket.request({
      action: 'setPushSubscription',
      requestId: 'bad-auth',
      subscription: { ...valid(), keys: { ...valid().keys, auth: 'abc' } },
    });
    expect(shortAuth).toMatchObject({ type: 'error', requestId: 'bad-auth', code: 'INVALID_FRAME' });
  });

  it('refuses a connection without a deviceId', async () => {
    const socket = await harness.open('puma');
    const reply = await socket.request({
      action: 'setPushSubscription',
      requestId: 'no-device',
      subscription: valid(),
    });
    expect(reply).toMatchObject({ type: 'error', requestId: 'no-device', code: 'INVALID_FRAME' });
  });

  it('removes the subscription with null, and all of them on signOutEverywhere', async () => {
    const { socket } = await subscribedDevice('pval', 'pval-phone');
    const removed = await socket.request({ action: 'setPushSubscription', subscription: null });
    expect(removed).toMatchObject({ type: 'pushSubscription', subscribed: false });
    expect(await subscriptionItem('pval', 'pval-phone')).toBeUndefined();
    await socket.close();

    await offlineDevice('pval', 'pval-laptop');
    await subscribedDevice('pval', 'pval-tablet');
    expect(new Set((await profile('pval')).pushDevices as Set<string>)).toEqual(
      new Set(['pval-laptop', 'pval-tablet']),
    );
    const tablet = await harness.open('pval', 'pval-tablet');
    await tablet.request({ action: 'signOutEverywhere' });
    expect(await subscriptionItem('pval', 'pval-laptop')).toBeUndefined();
    expect(await subscriptionItem('pval', 'pval-tablet')).toBeUndefined();
    expect((await profile('pval')).pushDevices).toBeUndefined();
  });
});
