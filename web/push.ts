import type { ChatClient } from '../client/chat-client';
import { ChatClientError } from '../client/errors';
import type { PushSubscriptionJson } from '../contract/protocol/frames';
import { describeError } from './errors';
import type { Notifier } from './notifier';
import type { WorkerMessage } from './sw';

/** Set when the user turned push notifications off on this browser. */
const OFF_KEY = 'chat.pushOff';
/** How long a sign-out waits for the server to forget this device's subscription. */
const SIGN_OUT_WAIT_MS = 3000;
/** A browser that cannot reach its push service may never answer a subscribe (Chromium offline). */
const SUBSCRIBE_WAIT_MS = 20_000;

export type PushStatus =
  /** This browser cannot do push; nothing to switch. */
  | { state: 'unavailable'; reason: string }
  | { state: 'off' }
  | { state: 'working' }
  /** The server holds this device's subscription. */
  | { state: 'on' }
  | { state: 'failed'; reason: string };

/**
 * Registers the service worker (web/sw.ts) at start, signed in or not: it shows the pushes and opens the
 * conversation of a clicked notification. Without one (an old browser, a private window that refuses
 * it) the app works as before, with in-page notifications only.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch((error: unknown) => {
    console.warn('The service worker could not be registered', error);
  });
}

/**
 * This device's Web Push subscription, kept in step with the server: subscribed with the deployment's
 * VAPID key once the user allowed notifications (and did not turn push off here), sent on every
 * connect, so that a subscription the browser renewed (`pushsubscriptionchange`) or a key the
 * deployment rotated is caught up; removed when the user turns push off or signs out.
 */
export class PushNotifications {
  private current: PushStatus;
  /** The key to subscribe with: the config's, then the one the server's last reply named. */
  private key: string;
  private readonly stopListening: () => void;
  /** Told of every status change (the settings dialog, while open). */
  onChange: (() => void) | undefined;

  constructor(
    private readonly client: ChatClient,
    private readonly notifier: Notifier,
    vapidPublicKey: string,
    app: {
      /** Opens the conversation of a clicked notification. */
      open(conversationId: string): void;
      /** The conversation on screen, if any: the worker shows no notification for it. */
      showing(): string | undefined;
    },
  ) {
    this.key = vapidPublicKey;
    this.current = supported()
      ? { state: 'off' }
      : {
          state: 'unavailable',
          reason: 'This browser cannot receive notifications while the app is closed.',
        };
    const onMessage = (event: MessageEvent) => {
      const message = event.data as WorkerMessage | null;
      if (message?.type === 'openConversation') app.open(message.conversationId);
      if (message?.type === 'whichConversation') event.ports[0]?.postMessage(app.showing() ?? null);
    };
    const container = 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;
    container?.addEventListener('message', onMessage);
    this.stopListening = () => container?.removeEventListener('message', onMessage);
  }

  get status(): PushStatus {
    return this.current;
  }

  /** Whether this device should be subscribed: notifications allowed, and push not turned off here. */
  get wanted(): boolean {
    return (
      this.current.state !== 'unavailable' &&
      this.notifier.permission === 'granted' &&
      localStorage.getItem(OFF_KEY) === null
    );
  }

  /** The conversation is on screen: its notification has nothing more to tell. */
  dismiss(conversationId: string): void {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker
      .getRegistration()
      .then(async (registration) => {
        for (const shown of (await registration?.getNotifications({ tag: conversationId })) ?? [])
          shown.close();
      })
      .catch(() => {});
  }

  /** After each (re)connect. */
  connected(): void {
    if (this.wanted) void this.subscribe();
  }

  /** The user turned push on: asks for the permission if it was never given, then subscribes. */
  async turnOn(): Promise<void> {
    localStorage.removeItem(OFF_KEY);
    if ((await this.notifier.ask()) !== 'granted') {
      this.set({
        state: 'failed',
        reason: 'Notifications are blocked for this site: allow them in the browser’s site settings.',
      });
      return;
    }
    await this.subscribe();
  }

  async turnOff(): Promise<void> {
    localStorage.setItem(OFF_KEY, 'true');
    this.set({ state: 'working' });
    // Unanswered or not connected: once the browser has unsubscribed, the push service answers the
    // server's next push 410 (RFC 8030 §7.3) and the server deletes the subscription.
    await this.client.setPushSubscription(null).catch(() => {});
    await this.unsubscribe();
    this.set({ state: 'off' });
  }

  /**
   * Before the socket closes at sign-out: the server forgets this device's subscription, and the browser
   * drops it, so that the next user of this browser gets none of this user's notifications. Waits a few
   * seconds at most; the preference (on or off) stays for the next sign-in.
   */
  async signOut(): Promise<void> {
    this.stopListening();
    if (this.current.state === 'unavailable') return;
    const told = this.client.setPushSubscription(null).catch(() => {});
    await Promise.race([told, new Promise((resolve) => setTimeout(resolve, SIGN_OUT_WAIT_MS))]);
    await this.unsubscribe();
  }

  private async subscribe(): Promise<void> {
    const key = this.key;
    if (this.current.state === 'working') return;
    this.set({ state: 'working' });
    try {
      const registration = await navigator.serviceWorker.ready;
      let subscription = await browserSubscription(registration, key);
      let reply = await this.client.setPushSubscription(toJson(subscription));
      if (reply.vapidPublicKey !== key) {
        // The deployment's keys changed since the config was loaded or the browser subscribed.
        this.key = reply.vapidPublicKey;
        subscription = await browserSubscription(registration, reply.vapidPublicKey);
        reply = await this.client.setPushSubscription(toJson(subscription));
      }
      this.set(reply.subscribed ? { state: 'on' } : { state: 'off' });
    } catch (error) {
      this.set({ state: 'failed', reason: reasonOf(error) });
    }
  }

  private async unsubscribe(): Promise<void> {
    try {
      const registration = await navigator.serviceWorker.getRegistration();
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
    } catch (error) {
      console.warn('The push subscription could not be removed from this browser', error);
    }
  }

  private set(status: PushStatus): void {
    this.current = status;
    this.onChange?.();
  }
}

function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** The browser's subscription made with `key`, replacing one made with another key. */
async function browserSubscription(
  registration: ServiceWorkerRegistration,
  key: string,
): Promise<PushSubscription> {
  const applicationServerKey = fromBase64url(key);
  const existing = await registration.pushManager.getSubscription();
  const existingKey = existing?.options.applicationServerKey;
  if (existing && existingKey && sameBytes(new Uint8Array(existingKey), applicationServerKey))
    return existing;
  await existing?.unsubscribe();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unanswered = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('its push service did not answer')), SUBSCRIBE_WAIT_MS);
  });
  try {
    return await Promise.race([
      registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
      unanswered,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function toJson(subscription: PushSubscription): PushSubscriptionJson {
  const { endpoint, expirationTime, keys } = subscription.toJSON();
  if (!endpoint || !keys?.p256dh || !keys.auth)
    throw new Error('The browser gave a subscription without keys');
  return { endpoint, expirationTime: expirationTime ?? null, keys: { p256dh: keys.p256dh, auth: keys.auth } };
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** Why subscribing failed, in words: the browser's (no push service reachable) or the server's. */
function reasonOf(error: unknown): string {
  if (error instanceof ChatClientError) return describeError(error);
  const detail = error instanceof Error && error.message !== '' ? ` (${error.message})` : '';
  return `This browser could not subscribe to its push service${detail}.`;
}
