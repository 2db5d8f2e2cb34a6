import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { WebPushSender } from '../../lambdas/adapters/push/web-push-sender';
import type { StoredPushSubscription } from '../../lambdas/core/ports';
import { type LocalPushService, startPushService } from '../../local/push-service';

/** The push function's sender against the local push service: what each answer becomes. */
describe('WebPushSender', () => {
  const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:test@example.com' };
  const delivery = { topic: 'topic-1', ttlSeconds: 60, urgency: 'normal' as const };
  const clock = { now: () => Date.now() };
  let service: LocalPushService;

  beforeAll(async () => {
    service = await startPushService();
  });
  afterAll(async () => {
    service.setOutage('none');
    await service.stop();
  });

  function subscription(applicationServerKey = vapid.publicKey) {
    const { id, json } = service.subscribe(applicationServerKey);
    const stored: StoredPushSubscription = {
      userId: 'u',
      deviceId: 'd',
      endpoint: json.endpoint,
      p256dh: json.keys.p256dh,
      auth: json.keys.auth,
      createdAt: 1,
      vapidPublicKey: vapid.publicKey,
    };
    return { id, stored };
  }

  it('sends an encrypted push with TTL, Urgency and Topic that the service decrypts', async () => {
    const { id, stored } = subscription();
    expect(await new WebPushSender(vapid, 5000, clock).send(stored, '{"a":1}', delivery)).toBe('sent');
    expect(service.pending(id)).toMatchObject([
      { payload: '{"a":1}', ttl: 60, urgency: 'normal', topic: 'topic-1' },
    ]);
  });

  it('reports a gone subscription (410) as gone and a refusal for good (403) as rejected', async () => {
    const gone = subscription();
    service.expire(gone.id);
    expect(await new WebPushSender(vapid, 5000, clock).send(gone.stored, 'x', delivery)).toBe('gone');
    const otherKey = subscription(webpush.generateVAPIDKeys().publicKey);
    expect(await new WebPushSender(vapid, 5000, clock).send(otherKey.stored, 'x', delivery)).toBe('rejected');
  });

  it('reports an outage (503) and a push service that does not answer in time as failed', async () => {
    const { stored } = subscription();
    service.setOutage('error');
    expect(await new WebPushSender(vapid, 5000, clock).send(stored, 'x', delivery)).toBe('failed');
    service.setOutage('hang');
    expect(await new WebPushSender(vapid, 100, clock).send(stored, 'x', delivery)).toBe('failed');
    service.setOutage('none');
  });
});
