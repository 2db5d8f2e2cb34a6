import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatClient } from '../../client/chat-client';
import type { PushPayload } from '../../contract/push';
import {
  DESKTOP,
  openConversation,
  screenshot,
  send,
  startChat,
  useBrowserApp,
  WAIT_MS,
} from '../support/browser';

const app = useBrowserApp();
const { newUser, openApp, signIn, pageErrors, framesSent } = app;

const REDELIVER_MS = 5000;

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

  /**
   * Delivers a push until `arrived` says it did. The DevTools protocol does not acknowledge a delivery,
   * and Chromium drops one now and then (about one run in five here): a push that changed nothing after
   * a few seconds is delivered again. What the tests check is the same after a repeated push (one
   * notification per tag), so a second delivery hides nothing.
   */
  async push(payload: PushPayload | string, arrived: () => Promise<boolean>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.cdp.send('ServiceWorker.deliverPushMessage', {
        origin: this.origin,
        registrationId: this.registrationId,
        data: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      try {
        await expect.poll(arrived, { timeout: REDELIVER_MS }).toBe(true);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
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
    const shows = (tag: string, body: string) => async () =>
      (await notifications(bob)).some((shown) => shown.tag === tag && shown.body === body);
    await delivery.push(
      payload({ conversationId: 'alice:bob', from: 'alice', seq: 1 }),
      shows('alice:bob', 'Are we still on for tonight?'),
    );
    expect(await notifications(bob)).toEqual([
      { title: 'alice', body: 'Are we still on for tonight?', tag: 'alice:bob' },
    ]);

    // A second message of the same conversation replaces the notification.
    await delivery.push(
      payload({ conversationId: 'alice:bob', from: 'alice', seq: 2, unread: 2 }),
      shows('alice:bob', '2 new messages'),
    );
    expect(await notifications(bob)).toEqual([{ title: 'alice', body: '2 new messages', tag: 'alice:bob' }]);

    // Previews off: the server sends no text, and the notification says only who wrote.
    await delivery.push(
      payload({ conversationId: 'alice:bob', from: 'alice', seq: 3, preview: null }),
      shows('alice:bob', 'New message'),
    );
    expect(await notifications(bob)).toEqual([{ title: 'alice', body: 'New message', tag: 'alice:bob' }]);

    // A payload the worker cannot read still shows a notification.
    await delivery.push('{"v":2}', shows('chat', 'New message'));
    expect(await notifications(bob)).toContainEqual({ title: 'Chat', body: 'New message', tag: 'chat' });

    // The click opens the conversation in the open window.
    await clickNotification(bobContext, 'alice:bob', { opensWindow: false });
    await bob.getByRole('heading', { name: 'alice' }).waitFor();
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .not.toContainEqual(expect.objectContaining({ tag: 'alice:bob' }));

    // While bob's focused window shows the conversation, its push shows nothing: the worker asked the
    // window, which answered. Carol's push, after it, shows: the worker handles pushes in order.
    await closeNotifications(bob);
    await bob.evaluate(() => {
      const counted = window as unknown as { asked: number };
      counted.asked = 0;
      navigator.serviceWorker.addEventListener('message', (event) => {
        if ((event.data as { type?: string } | null)?.type === 'whichConversation') counted.asked++;
      });
    });
    await delivery.push(payload({ conversationId: 'alice:bob', from: 'alice', seq: 4 }), () =>
      bob.evaluate(() => (window as unknown as { asked: number }).asked > 0),
    );
    await delivery.push(
      payload({ conversationId: 'bob:carol', from: 'carol', preview: 'Hi Bob' }),
      shows('bob:carol', 'Hi Bob'),
    );
    expect(await notifications(bob)).toEqual([{ title: 'carol', body: 'Hi Bob', tag: 'bob:carol' }]);

    // Opening a conversation from the list takes its notification away.
    await bob.keyboard.press('Escape');
    await bob.getByRole('heading', { name: 'Chats' }).waitFor();
    await delivery.push(
      payload({ conversationId: 'alice:bob', from: 'alice', seq: 5 }),
      shows('alice:bob', 'Are we still on for tonight?'),
    );
    await openConversation(bob, 'alice');
    await expect
      .poll(() => notifications(bob), { timeout: WAIT_MS })
      .toEqual([{ title: 'carol', body: 'Hi Bob', tag: 'bob:carol' }]);

    expect(pageErrors).toEqual([]);
    await Promise.all([aliceContext.close(), bobContext.close()]);
  });

  it('shows the server’s real push to a device whose tabs are closed, and its click opens the conversation', async () => {
    const ivyContext = await newUser(DESKTOP);
    const judyContext = await newUser({ ...DESKTOP, permissions: ['notifications'] });
    const judy = await signIn(judyContext, 'judy');
    const delivery = await PushDelivery.attach(judyContext, judy);
    // Chromium cannot subscribe here (its vendor's push service is out of reach): a subscription of the
    // local push service stands in for the browser's, set for this browser's device id. The rest is
    // real: the server encrypts and signs the push, the local push service checks and decrypts it, and
    // the browser hands its payload to the service worker.
    const deviceId = (await judy.evaluate(() => localStorage.getItem('chat.deviceId'))) ?? '';
    const subscription = app.runtime.pushService.subscribe(app.runtime.vapidPublicKey);
    const stand = new ChatClient({
      url: app.runtime.wsUrl,
      userId: 'judy',
      deviceId,
      getToken: async () => (await app.runtime.issuer.issue('judy')).token,
      WebSocket,
    });
    await stand.connect();
    await stand.setPushSubscription(subscription.json);
    stand.close();
    await judy.close();

    const ivy = await signIn(ivyContext, 'ivy');
    await startChat(ivy, 'judy');
    await send(ivy, 'Dinner at 8?');
    await expect
      .poll(() => app.runtime.pushService.pending(subscription.id).length, { timeout: WAIT_MS })
      .toBe(1);
    const [push] = app.runtime.pushService.take(subscription.id);
    await delivery.push(push?.payload ?? '', async () => (await notificationsOf(judyContext)).length > 0);
    expect(await notificationsOf(judyContext)).toEqual([
      { title: 'ivy', body: 'Dinner at 8?', tag: 'ivy:judy' },
    ]);

    const opened = await clickNotification(judyContext, 'ivy:judy', { opensWindow: true });
    const url = `${new URL('/?c=ivy%3Ajudy', app.runtime.httpUrl)}`;
    // Chromium refuses a window to an untrusted click; on a real click the browser opens this URL.
    expect(opened).toEqual({ url, answer: 'InvalidAccessError' });
    const reopened = await openApp(judyContext);
    await reopened.goto(url);
    await reopened.getByRole('heading', { name: 'ivy' }).waitFor();
    await reopened.locator('.msg.theirs', { hasText: 'Dinner at 8?' }).waitFor();
    expect(new URL(reopened.url()).search).toBe('');
    expect(new URL(reopened.url()).hash).toBe('#/chat/ivy');
    await screenshot(reopened, 'push-opened-from-notification');

    expect(pageErrors).toEqual([]);
    await Promise.all([ivyContext.close(), judyContext.close()]);
  });

  it('says plainly when this browser cannot subscribe, and keeps the previews setting in step on every device', async () => {
    const context = await newUser({ ...DESKTOP, permissions: ['notifications'] });
    const otherDevice = await newUser(DESKTOP);
    const erin = await signIn(context, 'erin');
    await erin.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => erin.getByLabel('Show message previews').isEnabled()).toBe(true);
    expect(await erin.getByLabel('Show message previews').isChecked()).toBe(true);
    // Playwright's browser contexts are off the record, where Chromium refuses push subscriptions at
    // once; a profile that cannot reach its vendor's push service fails the same way after a wait.
    const status = erin.locator('#setting-push-status');
    await status.filter({ hasText: 'Not available' }).waitFor();
    expect(await status.textContent()).toMatch(
      /^Not available: This browser could not subscribe to its push service \(.+\)\. Notifications still show while this app is open in a tab\.$/,
    );
    expect(await erin.getByLabel('Push notifications').isChecked()).toBe(false);
    expect(await erin.getByText('Desktop notifications are on for this browser.').isVisible()).toBe(true);
    expect(framesSent(erin).filter((frame) => frame.includes('"setPushSubscription"'))).toEqual([]);
    await screenshot(erin, 'push-settings-unavailable');

    const other = await signIn(otherDevice, 'erin');
    await other.getByRole('button', { name: 'Settings' }).click();
    await expect.poll(() => other.getByLabel('Show message previews').isChecked()).toBe(true);
    await erin.getByLabel('Show message previews').uncheck();
    await expect.poll(() => other.getByLabel('Show message previews').isChecked()).toBe(false);
    expect(framesSent(erin).some((frame) => frame.includes('"pushPreviews":false'))).toBe(true);
    await screenshot(other, 'push-settings-previews-off');

    expect(pageErrors).toEqual([]);
    await Promise.all([context.close(), otherDevice.close()]);
  });

  it('mutes a conversation from its header, shown in the list of every device, and unmutes it', async () => {
    const frankContext = await newUser(DESKTOP);
    const graceContext = await newUser(DESKTOP);
    const graceOther = await newUser(DESKTOP);
    const grace = await signIn(graceContext, 'grace');
    const frank = await signIn(frankContext, 'frank');
    await startChat(frank, 'grace');
    await send(frank, 'Lunch?');
    const other = await signIn(graceOther, 'grace');
    await other.locator('.conversation', { hasText: 'frank' }).waitFor();

    await openConversation(grace, 'frank');
    const mute = grace.getByRole('button', { name: 'Mute notifications' });
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await mute.click();
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
    await grace.locator('.conversation', { hasText: 'frank' }).locator('.muted-icon').waitFor();
    await other.locator('.conversation', { hasText: 'frank' }).locator('.muted-icon').waitFor();
    expect(await other.locator('.conversation', { hasText: 'frank' }).textContent()).toContain('muted');
    await screenshot(grace, 'push-muted');

    await mute.click();
    await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('false');
    await other.locator('.conversation .muted-icon').waitFor({ state: 'detached' });

    expect(pageErrors).toEqual([]);
    await Promise.all([frankContext.close(), graceContext.close(), graceOther.close()]);
  });

  it('removes the device’s subscription from the server when the user signs out', async () => {
    const context = await newUser({ ...DESKTOP, permissions: ['notifications'] });
    const heidi = await signIn(context, 'heidi');
    await heidi.getByRole('button', { name: 'Sign out' }).click();
    await heidi.getByLabel('Username').waitFor();
    expect(framesSent(heidi).filter((frame) => frame.includes('"setPushSubscription"'))).toEqual([
      expect.stringContaining('"subscription":null'),
    ]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
