import { createECDH } from 'node:crypto';
import { encrypt } from 'http_ece';
import type { Clock, PushDelivery, PushOutcome, PushSender, StoredPushSubscription } from '../../core/ports';
import { type VapidKeys, VapidSigner } from './vapid';

/**
 * Web Push over fetch, with a timeout: the payload encrypted by `http_ece` (RFC 8291, aes128gcm, a
 * fresh sender key pair per message) and the request signed with a VAPID JWT (RFC 8292) by node:crypto.
 * Not `web-push`: for the VAPID key alone it bundles asn1.js and bn.js, and a proxy agent for its own
 * https sender, about 100 KB of the push function's bundle.
 */
export class WebPushSender implements PushSender {
  private readonly vapid: VapidSigner;

  constructor(
    keys: VapidKeys,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {
    this.vapid = new VapidSigner(keys);
  }

  async send(
    subscription: StoredPushSubscription,
    payload: string,
    delivery: PushDelivery,
  ): Promise<PushOutcome> {
    const senderKeys = createECDH('prime256v1');
    senderKeys.generateKeys();
    const body = encrypt(Buffer.from(payload), {
      version: 'aes128gcm',
      privateKey: senderKeys,
      dh: subscription.p256dh,
      authSecret: subscription.auth,
    });
    let status: number;
    try {
      const response = await fetch(subscription.endpoint, {
        method: 'POST',
        headers: {
          Authorization: this.vapid.authorization(subscription.endpoint, this.clock.now()),
          // RFC 8030 §5.2, §5.3, §5.4.
          TTL: String(delivery.ttlSeconds),
          Urgency: delivery.urgency,
          Topic: delivery.topic,
          'Content-Encoding': 'aes128gcm',
          'Content-Type': 'application/octet-stream',
        },
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      console.warn('push request failed', new URL(subscription.endpoint).host, String(error));
      return 'failed';
    }
    if (status >= 200 && status < 300) return 'sent';
    console.warn('push refused', new URL(subscription.endpoint).host, status);
    // RFC 8030 §7.3: 404 and 410 mean the subscription is gone. 429 and 5xx may pass.
    if (status === 404 || status === 410) return 'gone';
    if (status === 429 || status >= 500) return 'failed';
    return 'rejected';
  }
}
