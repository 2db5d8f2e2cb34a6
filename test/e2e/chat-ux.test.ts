import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  DESKTOP,
  openConversation,
  screenshot,
  send,
  startChat,
  useBrowserApp,
  waitForMessage,
  waitForStatus,
} from '../support/browser';

const app = useBrowserApp();
const { newUser, openApp, signIn, pageErrors } = app;

/**
 * Whether the time and the badge lie inside the row and the preview is cut with an ellipsis. Measured
 * in one synchronous call: the list re-renders its rows on every event, detaching the old ones.
 */
function rowFits(page: Page, conversation: string) {
  return page.evaluate((id) => {
    const row = document.querySelector(`.conversation[data-conversation="${id}"]`);
    if (!row) return undefined;
    const outer = row.getBoundingClientRect();
    const inside = (selector: string) => {
      const box = row.querySelector(selector)?.getBoundingClientRect();
      return box !== undefined && box.width > 0 && box.left >= outer.left && box.right <= outer.right + 0.5;
    };
    const preview = row.querySelector('.preview-text');
    return {
      time: inside('.when'),
      badge: inside('.badge'),
      cut: preview !== null && preview.scrollWidth > preview.clientWidth,
    };
  }, conversation);
}

describe('the web client, reading and writing comfortably', () => {
  it('keeps the time and the unread badge in the row when the preview is long, on phone and desktop', async () => {
    const longText = 'This preview is a good deal longer than forty characters, so it must be cut';
    const aContext = await newUser();
    const bPhoneContext = await newUser();
    const a = await signIn(aContext, 'amos');
    const bPhone = await signIn(bPhoneContext, 'bea');
    const bDesktopContext = await newUser(DESKTOP);
    const bDesktop = await signIn(bDesktopContext, 'bea');
    await startChat(a, 'bea');
    for (const text of ['One', 'Two', longText]) await send(a, text);
    for (const page of [bPhone, bDesktop]) {
      await page.locator('.conversation .badge', { hasText: '3' }).waitFor();
      await page.locator('.conversation .preview-text', { hasText: 'This preview' }).waitFor();
      expect(await rowFits(page, 'amos:bea')).toEqual({ time: true, badge: true, cut: true });
    }
    await screenshot(bPhone, 'list-long-preview-phone');
    await screenshot(bDesktop, 'list-long-preview-desktop');
    expect(pageErrors).toEqual([]);
    await Promise.all([aContext.close(), bPhoneContext.close(), bDesktopContext.close()]);
  });

  it('turns the ticks of earlier messages to seen as soon as the peer replies', async () => {
    const cContext = await newUser();
    const dContext = await newUser();
    const c = await signIn(cContext, 'cleo');
    const d = await signIn(dContext, 'dan');
    await startChat(c, 'dan');
    await send(c, 'Quick question one');
    await send(c, 'Quick question two');
    await openConversation(d, 'cleo');
    await waitForMessage(d, 'Quick question two');
    await send(d, 'Quick answer');
    await waitForMessage(c, 'Quick answer');
    await waitForStatus(c, 'Quick question one', 'seen');
    await waitForStatus(c, 'Quick question two', 'seen');
    expect(pageErrors).toEqual([]);
    await Promise.all([cContext.close(), dContext.close()]);
  });

  it('opens at the first unread message under a divider, marks seen only what was shown, and offers "↓ N new"', async () => {
    const kContext = await newUser();
    const lContext = await newUser();
    const k = await signIn(kContext, 'kim');
    const l = await signIn(lContext, 'leo');
    await startChat(k, 'leo');
    await send(k, 'Read before');
    await openConversation(l, 'kim');
    await waitForMessage(l, 'Read before');
    await waitForStatus(k, 'Read before', 'seen');
    await l.keyboard.press('Escape');
    await l.getByRole('heading', { name: 'Chats' }).waitFor();

    for (let i = 1; i <= 30; i++) await send(k, `Unread ${String(i).padStart(2, '0')} of 30`);
    await waitForStatus(k, 'Unread 30 of 30', 'delivered');
    await l.locator('.conversation .badge', { hasText: '30' }).waitFor();

    await openConversation(l, 'kim');
    const divider = l.locator('.unread-divider', { hasText: '30 unread messages' });
    await divider.waitFor();
    await expect.poll(() => divider.isVisible()).toBe(true);
    await expect.poll(() => inView(l, 'Unread 01 of 30')).toBe(true);
    expect(await inView(l, 'Unread 30 of 30')).toBe(false);
    await waitForStatus(k, 'Unread 01 of 30', 'seen');
    // The receipt that turned the first one seen reported what was on screen, not the last one.
    expect(await k.locator('.msg.mine', { hasText: 'Unread 30 of 30' }).getAttribute('data-status')).toBe(
      'delivered',
    );
    await screenshot(l, 'unread-divider');

    await send(k, 'Something new');
    const jump = l.getByRole('button', { name: /new messages?$/ });
    await jump.waitFor();
    expect(await jump.textContent()).toMatch(/^↓ \d+ new$/);
    await screenshot(l, 'new-messages-button');
    // One jump brings the first new message to the top; the rest fit on the screen below it.
    await jump.click();
    await jump.waitFor({ state: 'hidden' });
    await waitForStatus(k, 'Something new', 'seen');
    expect(pageErrors).toEqual([]);
    await Promise.all([kContext.close(), lContext.close()]);
  });

  it('keeps a draft per chat across a chat switch and a reload, says when a paste is cut, and resends an unsent message after a reload', async () => {
    const mContext = await newUser();
    const nContext = await newUser();
    const oContext = await newUser();
    await mContext.grantPermissions(['clipboard-read', 'clipboard-write']);
    let m = await signIn(mContext, 'mia');
    const n = await signIn(nContext, 'noor');
    await signIn(oContext, 'otto');
    await startChat(m, 'noor');
    await m.getByLabel('Message to noor').fill('Half a thought for Noor');
    await m.keyboard.press('Escape');
    await startChat(m, 'otto');
    await m.getByLabel('Message to otto').fill('Something for Otto');
    await m.keyboard.press('Escape');
    await startChat(m, 'noor');
    expect(await m.getByLabel('Message to noor').inputValue()).toBe('Half a thought for Noor');
    await m.reload();
    await m.getByRole('heading', { name: 'noor' }).waitFor();
    expect(await m.getByLabel('Message to noor').inputValue()).toBe('Half a thought for Noor');

    // Pasting 4,100 characters keeps 4,000 and says what was cut.
    await m.getByLabel('Message to noor').fill('');
    await m.evaluate((text) => navigator.clipboard.writeText(text), 'x'.repeat(4100));
    await m.getByLabel('Message to noor').press('Control+V');
    await m
      .locator('#composer-counter', { hasText: 'the last 100 of what you pasted did not fit' })
      .waitFor();
    expect(await m.getByLabel('Message to noor').inputValue()).toHaveLength(4000);
    await screenshot(m, 'paste-cut');
    await m.getByLabel('Message to noor').fill('');

    // Written offline, then the tab is closed before it could go: the next visit sends it, once.
    await mContext.setOffline(true);
    await m
      .getByRole('status')
      .filter({ hasText: /offline|Connection lost/ })
      .waitFor();
    await send(m, 'Written before the reload');
    await waitForStatus(m, 'Written before the reload', 'pending');
    expect(await m.evaluate(() => localStorage.getItem('chat.outbox.mia'))).toContain(
      'Written before the reload',
    );
    await m.close();
    await mContext.setOffline(false);
    m = await openApp(mContext);
    await openConversation(m, 'noor');
    await waitForStatus(m, 'Written before the reload', 'delivered');
    await openConversation(n, 'mia');
    await waitForMessage(n, 'Written before the reload');
    expect(await n.locator('.msg', { hasText: 'Written before the reload' }).count()).toBe(1);
    expect(await m.locator('.msg', { hasText: 'Written before the reload' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await Promise.all([mContext.close(), nContext.close(), oContext.close()]);
  });

  it('checks a username before opening a chat, and deletes a conversation from the list', async () => {
    const pContext = await newUser();
    const qContext = await newUser();
    const p = await signIn(pContext, 'pia');
    await signIn(qContext, 'quinn');
    await p.getByLabel('Start a conversation').fill('nobody-by-this-name');
    await p.getByLabel('Start a conversation').press('Enter');
    await p
      .getByRole('alert')
      .filter({ hasText: 'No one named “nobody-by-this-name” can be found' })
      .waitFor();
    await screenshot(p, 'start-unknown-user');
    // Writing anyway: the server refuses the message, and no row is left behind in the list.
    await p.getByRole('button', { name: 'Write anyway' }).click();
    await p.getByRole('heading', { name: 'nobody-by-this-name' }).waitFor();
    await send(p, 'Hello?');
    await p.locator('.msg.mine[data-status="failed"]', { hasText: 'Hello?' }).waitFor();
    expect(await p.locator('.conversation').count()).toBe(0);
    await p.keyboard.press('Escape');

    await startChat(p, 'quinn');
    await send(p, 'To be deleted');
    await waitForStatus(p, 'To be deleted', 'delivered');
    await p.getByRole('button', { name: 'Delete chat with quinn' }).click();
    await screenshot(p, 'delete-chat');
    await p.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await p.getByRole('heading', { name: 'Chats' }).waitFor();
    await p.locator('.conversation').first().waitFor({ state: 'detached' });
    await p.reload();
    await p.getByRole('heading', { name: 'Chats' }).waitFor();
    await p.locator('.empty').waitFor();
    expect(await p.locator('.conversation').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await Promise.all([pContext.close(), qContext.close()]);
  });

  it('puts the time beside short messages, groups a sender’s messages, and makes links safe to open', async () => {
    const rContext = await newUser();
    const sContext = await newUser(DESKTOP);
    const r = await signIn(rContext, 'rosa');
    const s = await signIn(sContext, 'sam');
    await startChat(r, 'sam');
    await send(r, 'ok');
    await send(r, 'Read https://example.com/page?q=1. and javascript:alert(1) too');
    await openConversation(s, 'rosa');
    await waitForMessage(s, 'javascript:alert(1)');

    // "ok" and its time share one line: the bubble is one line high.
    const ok = s.locator('.msg.theirs', { hasText: /^rosa: ok/ }).locator('.bubble');
    const lineHeight = await ok.evaluate((element) =>
      Number.parseFloat(getComputedStyle(element).lineHeight),
    );
    const box = await ok.boundingBox();
    expect(box?.height).toBeLessThan(lineHeight * 2);
    expect(await s.locator('.msg.theirs.grouped').count()).toBe(1);
    expect(await ok.getAttribute('title')).toMatch(/\d{4}/);

    const links = s.locator('.msg-text a');
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute('href')).toBe('https://example.com/page?q=1');
    expect(await links.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await links.getAttribute('target')).toBe('_blank');
    // Opened, it gets neither a handle on this page nor a referrer.
    const referers: (string | undefined)[] = [];
    await sContext.route('https://example.com/**', (route) => {
      referers.push(route.request().headers().referer);
      return route.fulfill({ contentType: 'text/html', body: '<p>Example</p>' });
    });
    const [opened] = await Promise.all([sContext.waitForEvent('page'), links.click()]);
    await opened.waitForLoadState();
    expect(await opened.evaluate(() => window.opener)).toBeNull();
    expect(referers).toEqual([undefined]);
    await opened.close();
    await screenshot(s, 'density-and-links');
    expect(pageErrors).toEqual([]);
    await Promise.all([rContext.close(), sContext.close()]);
  });

  it('notifies of a message in a chat not in view, with the count in the title and on the icon', async () => {
    const tContext = await newUser(DESKTOP);
    await tContext.grantPermissions(['notifications']);
    // Records the notifications the page shows (Chromium shows them outside the page).
    await tContext.addInitScript(() => {
      const shown: string[] = [];
      Object.assign(window, { shownNotifications: shown });
      const Native = window.Notification;
      window.Notification = class extends Native {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push(`${title}: ${options?.body ?? ''}`);
        }
      };
    });
    const uContext = await newUser();
    const vContext = await newUser();
    const t = await signIn(tContext, 'tara');
    const u = await signIn(uContext, 'umar');
    const v = await signIn(vContext, 'vera');
    await startChat(t, 'umar');
    await startChat(u, 'tara');
    await startChat(v, 'tara');
    await send(v, 'Are you free tonight?');
    const shown = () =>
      t.evaluate(() => (window as unknown as { shownNotifications: string[] }).shownNotifications);
    await expect.poll(shown).toEqual(['vera: Are you free tonight?']);
    await expect.poll(() => t.title()).toBe('(1) Chat');
    expect(await t.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/png;base64,/);
    // A message in the chat on screen makes no notification: the next one shown is vera's second.
    await send(u, 'In view');
    await waitForMessage(t, 'In view');
    await send(v, 'Second one');
    await expect.poll(shown).toEqual(['vera: Are you free tonight?', 'vera: Second one']);
    expect(pageErrors).toEqual([]);
    await Promise.all([tContext.close(), uContext.close(), vContext.close()]);
  });

  it('changes settings, and the change reaches the user’s other device', async () => {
    const phoneContext = await newUser();
    const laptopContext = await newUser(DESKTOP);
    const phone = await signIn(phoneContext, 'wren');
    const laptop = await signIn(laptopContext, 'wren');
    for (const page of [phone, laptop]) {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Read receipts').waitFor();
      await expect.poll(() => page.getByLabel('Read receipts').isEnabled()).toBe(true);
    }
    expect(await laptop.getByLabel('Read receipts').isChecked()).toBe(true);
    await phone.getByLabel('Read receipts').uncheck();
    await phone.getByLabel('Who sees when I am online').selectOption('nobody');
    await expect.poll(() => laptop.getByLabel('Read receipts').isChecked()).toBe(false);
    await expect.poll(() => laptop.getByLabel('Who sees when I am online').inputValue()).toBe('nobody');
    await screenshot(phone, 'settings-phone');
    await screenshot(laptop, 'settings-desktop');
    await phone.getByLabel('Play a sound for new messages').uncheck();
    await phone.getByRole('button', { name: 'Done' }).click();
    expect(await phone.evaluate(() => localStorage.getItem('chat.muted'))).toBe('true');

    // Sign out everywhere: the server ends every session and this browser returns to the sign-in screen.
    await phone.getByRole('button', { name: 'Settings' }).click();
    await phone.getByRole('button', { name: 'Sign out everywhere' }).click();
    await phone.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await phone.evaluate(() => localStorage.getItem('chat.session'))).toBeNull();
    expect(pageErrors).toEqual([]);
    await Promise.all([phoneContext.close(), laptopContext.close()]);
  });
});

/** The message is at least partly inside the visible part of the message log. */
function inView(page: Page, text: string): Promise<boolean> {
  return page.locator('.msg', { hasText: text }).evaluate((element) => {
    const log = element.closest('.log');
    if (!log) return false;
    const box = element.getBoundingClientRect();
    const frame = log.getBoundingClientRect();
    return box.bottom > frame.top && box.top < frame.bottom;
  });
}
