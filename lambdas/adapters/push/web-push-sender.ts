import webpush from 'web-push';
import type { PushDelivery, PushOutcome, PushSender, StoredPushSubscription } from '../../core/ports';

/** A VAPID key pair (base64url: the uncompressed public point, the private scalar) and its contact. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/**
 * Web Push through `web-push`: it signs the VAPID JWT (RFC 8292) and encrypts the payload (RFC 8291,
 * aes128gcm); the request itself goes out with fetch and a timeout, since web-push's own sender speaks
 * only https and waits without limit.
 */
export class WebPushSender implements PushSender {
  constructor(
    private readonly vapid: VapidKeys,
    private readonly timeoutMs: number,
  ) {}

  async send(
    subscription: StoredPushSubscription,
    payload: string,
    delivery: PushDelivery,
  ): Promise<PushOutcome> {
    const request = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      payload,
      {
        vapidDetails: this.vapid,
        TTL: delivery.ttlSeconds,
        urgency: delivery.urgency,
        topic: delivery.topic,
        contentEncoding: 'aes128gcm',
      },
    );
    let status: number;
    try {
      const response = await fetch(request.endpoint, {
        method: request.method,
        headers: request.headers as Record<string, string>,
        ...(request.body === null ? {} : { body: new Uint8Array(request.body) }),
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
