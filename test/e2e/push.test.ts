import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { PushPayload } from '../../contract/push';
import { DESKTOP, screenshot, send, startChat, useBrowserApp, WAIT_MS } from '../support/browser';

const app = useBrowserApp();
const { newUser, openApp, signIn, pageErrors } = app;

interface ShownNotification {
  title: string;
  body: string;
  tag: string;
}

/**
 * Delivers pushes to the app's real service worker through the DevTools protocol, as the browser does
 * with what its push service hands it (no push service of a browser vendor is reachable here). The
 * session belongs to a blank tab of the same profile, which is no window of the app, so that pushes
 * still arrive once every window of the app is closed.
 */
class PushDelivery {
  private constructor(
    private readonly cdp: CDPSession,
    private readonly origin: string,
    private readonly registrationId: string,
  ) {}

  static async attach(context: BrowserContext, page: Page): Promise<PushDelivery> {
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    const cdp = await context.newCDPSession(await context.newPage());
    const registered = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
        const ours = registrations.find((registration) => registration.scopeURL === scope);
        if (ours && !ours.isDeleted) resolve(ours.registrationId);
      });
    });
    await cdp.send('ServiceWorker.enable');
    return new PushDelivery(cdp, new URL(scope).origin, await registered);
  }

  async push(payload: PushPayload | string): Promise<void> {
    await this.cdp.send('ServiceWorker.deliverPushMessage', {
      origin: this.origin,
      registrationId: this.registrationId,
      data: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  }
}

function payload(fields: Partial<PushPayload> & Pick<PushPayload, 'conversationId' | 'from'>): PushPayload {
  return {
    v: 1,
    type: 'message',
    seq: 1,
    sentAt: Date.now(),
    unread: 1,
    preview: 'Are we still on for tonight?',
    media: null,
    ...fields,
  };
}

/** The notifications the service worker shows, as the browser lists them. */
function notifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map(({ title, body, tag }) => ({ title, body, tag }));
  });
}

/** The same, read inside the service worker: it works with no window open. */
async function notificationsOf(context: BrowserContext): Promise<ShownNotification[]> {
  const worker = await serviceWorker(context);
  return worker.evaluate(async () => {
    const { registration } = self as unknown as { registration: ServiceWorkerRegistration };
    return (await registration.getNotifications()).map(({ title, body, tag }) => ({ title, body, tag }));
  });
}

async function closeNotifications(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    for (const notification of await registration.getNotifications()) notification.close();
  });
  await expect.poll(() => notifications(page), { timeout: WAIT_MS }).toEqual([]);
}

async function serviceWorker(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
}

/**
 * Clicks a notification the most faithful way this browser allows: the DevTools protocol cannot click a
 * system notification, so a `notificationclick` event carrying the real notification (from
 * getNotifications) is dispatched inside the real service worker. Being untrusted, it grants no user
 * activation: `clients.openWindow` and `WindowClient.focus` are refused, and `waitUntil` throws. With
 * `opensWindow`, it resolves once the worker asked for a window: with the URL and the browser's answer.
 */
async function clickNotification(
  context: BrowserContext,
  tag: string,
  { opensWindow }: { opensWindow: boolean },
): Promise<{ url: string; answer: string } | null> {
  const worker = await serviceWorker(context);
  return worker.evaluate(
    async ({ notificationTag, waitForWindow }) => {
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        clients: { openWindow(url: string): Promise<unknown> };
        NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
        dispatchEvent(event: Event): boolean;
      };
      const [notification] = await scope.registration.getNotifications({ tag: notificationTag });
      if (!notification) throw new Error(`no notification with the tag ${notificationTag}`);
      const realOpenWindow = scope.clients.openWindow.bind(scope.clients);
      const asked = new Promise<{ url: string; answer: string }>((resolve) => {
        scope.clients.openWindow = (url: string) => {
          const opened = realOpenWindow(url);
          opened.then(
            () => resolve({ url, answer: 'opened' }),
            (error: unknown) => resolve({ url, answer: error instanceof Error ? error.name : String(error) }),
          );
          return opened;
        };
      });
      scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification }));
      return waitForWindow ? await asked : null;
    },
    { notificationTag: tag, waitForWindow: opensWindow },
  );
}

describe('push notifications in Chromium, through the real service worker', () => {
  it('shows a push as one notification per conversation, none on the open conversation, and opens it on click', async () => {
    const aliceContext = await newUser(DESKTOP);
    const bobContext = await newUser({ ...DESKTOP, permissions: ['notifications'] });
    const bob = await signIn(bobContext, 'bob');
    const alice = await signIn(aliceContext, 'alice');
    await startChat(alice, 'bob');
    await send(alice, 'Are we still on for tonight?');
    await bob.locator('.conversation', { hasText: 'alice' }).waitFor();

    const delivery = await PushDelivery.attach(bobContext, bob);
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', seq: 1 }));
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toEqual([{ title: 'alice', body: 'Are we still on for tonight?', tag: 'alice:bob' }]);

    // A second message of the same conversation replaces the notification.
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', seq: 2, unread: 2 }));
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toEqual([{ title: 'alice', body: '2 new messages', tag: 'alice:bob' }]);

    // Previews off: the server sends no text, and the notification says only who wrote.
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', preview: null }));
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toEqual([{ title: 'alice', body: 'New message', tag: 'alice:bob' }]);

    // A payload the worker cannot read still shows a notification.
    await delivery.push('{"v":2}');
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toContainEqual({ title: 'Chat', body: 'New message', tag: 'chat' });

    // The click opens the conversation in the open window.
    await clickNotification(bobContext, 'alice:bob', { opensWindow: false });
    await bob.getByRole('heading', { name: 'alice' }).waitFor();
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .not.toContainEqual(expect.objectContaining({ tag: 'alice:bob' }));

    // While bob's focused window shows the conversation, its pushes show nothing; carol's, pushed
    // after it, shows: the worker handles pushes in order, so alice's was decided by then.
    await closeNotifications(bob);
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', seq: 3 }));
    await delivery.push(payload({ conversationId: 'bob:carol', from: 'carol', preview: 'Hi Bob' }));
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toEqual([{ title: 'carol', body: 'Hi Bob', tag: 'bob:carol' }]);

    // With no window open, a push still shows, and its click opens the app on the conversation.
    await bob.close();
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', seq: 4, unread: 1 }));
    await expect
      .poll(() => notificationsOf(bobContext), { timeout: WAIT_MS })
      .toContainEqual({
        title: 'alice',
        body: 'Are we still on for tonight?',
        tag: 'alice:bob',
      });
    const opened = await clickNotification(bobContext, 'alice:bob', { opensWindow: true });
    const url = `${new URL('/?c=alice%3Abob', app.runtime.httpUrl)}`;
    // Chromium refuses a window to an untrusted click; on a real click the browser opens this URL.
    expect(opened).toEqual({ url, answer: 'InvalidAccessError' });
    const reopened = await openApp(bobContext);
    await reopened.goto(url);
    await reopened.getByRole('heading', { name: 'alice' }).waitFor();
    await reopened.locator('.msg.theirs', { hasText: 'Are we still on for tonight?' }).waitFor();
    expect(new URL(reopened.url()).search).toBe('');
    expect(new URL(reopened.url()).hash).toBe('#/chat/alice');
    await screenshot(reopened, 'push-opened-from-notification');

    expect(pageErrors).toEqual([]);
    await Promise.all([aliceContext.close(), bobContext.close()]);
  });
});
