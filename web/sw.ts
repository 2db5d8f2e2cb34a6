import { type NotificationData, notificationFor, parsePushPayload } from './push-notification';

/**
 * The service worker (built to /sw.js, scope /): it shows Web Push notifications while no tab of the
 * app is open, and opens the conversation when one is clicked. It caches nothing and handles no fetch,
 * so the app loads as it did without it. Built as a classic script (no import or export survives the
 * bundle) so that every browser with push can run it.
 *
 * TypeScript's DOM types describe a window; the worker's own globals are declared here, as far as used
 * (Service Workers, https://www.w3.org/TR/service-workers/; Push API, https://www.w3.org/TR/push-api/).
 */
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface PushEvent extends ExtendableEvent {
  readonly data: { text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  readonly notification: Notification;
}
interface PushSubscriptionChangeEvent extends ExtendableEvent {
  readonly oldSubscription: PushSubscription | null;
  readonly newSubscription: PushSubscription | null;
}
interface WindowClient {
  readonly url: string;
  readonly focused: boolean;
  readonly visibilityState: DocumentVisibilityState;
  focus(): Promise<WindowClient>;
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
}
interface WorkerGlobal {
  readonly registration: ServiceWorkerRegistration;
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
  addEventListener(
    type: 'pushsubscriptionchange',
    listener: (event: PushSubscriptionChangeEvent) => void,
  ): void;
}
declare const self: WorkerGlobal;

/**
 * What the app hears from the worker (web/push.ts listens): open a conversation (a notification was
 * clicked), or say on the given port which conversation it shows (a conversation id, or null).
 */
export type WorkerMessage =
  | { type: 'openConversation'; conversationId: string }
  | { type: 'whichConversation' };

/** How long a window has to say which conversation it shows; a frozen one gets the notification. */
const ANSWER_MS = 1000;

// An updated worker takes over at once: it keeps no state that an older one could depend on.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));

self.addEventListener('push', (event) => event.waitUntil(onPush(event.data?.text())));

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const { conversationId } = event.notification.data as NotificationData;
  event.waitUntil(openApp(conversationId));
});

/**
 * The push service replaced the subscription (it expired, or was revoked): subscribe again with the
 * same key. The worker has no session to tell the server with; the app sends the browser's current
 * subscription every time it connects (web/push.ts), which carries this one over.
 */
self.addEventListener('pushsubscriptionchange', (event) => {
  const applicationServerKey = event.oldSubscription?.options.applicationServerKey;
  if (event.newSubscription || !applicationServerKey) return;
  event.waitUntil(self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }));
});

async function onPush(text: string | undefined): Promise<void> {
  const payload = parsePushPayload(text);
  if (payload && (await appShows(payload.conversationId))) return;
  const { title, options } = notificationFor(payload);
  await self.registration.showNotification(title, options);
}

/**
 * Whether a focused, visible window of the app shows the conversation: the user is reading it, and the
 * message arrives there over the socket. The worker asks the windows at each push rather than being
 * told as the user moves: it is stopped when idle and would forget, and the browser gives no window's
 * route (a client's `url` stays the one it loaded, in Chromium, whatever its route since). Chromium
 * forces no "updated in the background" notice while a window of the site is visible.
 */
async function appShows(conversationId: string): Promise<boolean> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const shown = await Promise.all(
    windows
      .filter((client) => client.focused && client.visibilityState === 'visible')
      .map(conversationShownIn),
  );
  return shown.includes(conversationId);
}

function conversationShownIn(client: WindowClient): Promise<unknown> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ANSWER_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    client.postMessage({ type: 'whichConversation' }, [channel.port2]);
  });
}

/**
 * An open window of the app is told to show the conversation and brought to the front; without one, a
 * new window opens on it (`?c=`, read by web/chat-app.ts). Focusing and opening are allowed only while
 * the browser dispatches a notification click.
 */
async function openApp(conversationId: string | null): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => client.focused) ?? windows[0];
  if (open) {
    if (conversationId !== null) {
      open.postMessage({ type: 'openConversation', conversationId });
    }
    await open.focus();
    return;
  }
  const url = new URL(self.registration.scope);
  if (conversationId !== null) url.searchParams.set('c', conversationId);
  await self.clients.openWindow(url.href);
}
