import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE,
  screenshot,
  send,
  startChat,
  useBrowserApp,
  waitForMessage,
} from '../support/browser';

const app = useBrowserApp();
const { newUser, openApp, signIn, pageErrors } = app;

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page as it is. Its source goes in through the DevTools protocol (evaluate),
 * which the page's Content-Security-Policy does not govern, so the CSP stays as strict as deployed.
 */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const { found, passed } = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(): Promise<{ violations: Violation[]; passes: unknown[] }> } }
    ).axe;
    const results = await axe.run();
    return { found: results.violations, passed: results.passes.length };
  });
  // A scan that checked nothing would pass too: make sure it ran its rules.
  expect(passed).toBeGreaterThan(10);
  return found.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

const SIZES = { phone: PHONE, desktop: DESKTOP };
const SCHEMES = ['light', 'dark'] as const;

/** Scans the screen in both colour schemes and saves a screenshot of each. */
async function scan(page: Page, size: string, screen: string): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of SCHEMES) {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, `a11y-${screen}-${size}-${colorScheme}`);
    for (const violation of await violations(page))
      found.push(`${screen} ${size} ${colorScheme}: ${violation}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

describe('accessibility (axe-core) of every screen, light and dark, phone and desktop', () => {
  for (const [size, options] of Object.entries(SIZES)) {
    it(`has no violations at ${size} size`, async () => {
      const me = `ally-${size}`;
      const peer = `peer-${size}`;
      const contexts: BrowserContext[] = [await newUser(options), await newUser()];
      const [mine, theirs] = contexts as [BrowserContext, BrowserContext];
      const found: string[] = [];

      const signInPage = await openApp(mine);
      await signInPage.getByLabel('Username').waitFor();
      found.push(...(await scan(signInPage, size, 'sign-in')));
      await signInPage.close();

      const other = await signIn(theirs, peer);
      const page = await signIn(mine, me);
      found.push(...(await scan(page, size, 'list-empty')));

      await startChat(other, me);
      for (const text of ['Hello there', 'See https://example.com/a', 'And a third']) await send(other, text);
      await page.locator('.conversation .badge', { hasText: '3' }).waitFor();
      found.push(...(await scan(page, size, 'list')));

      await page.locator('.conversation', { hasText: peer }).click();
      await waitForMessage(page, 'And a third');
      await page.locator('.unread-divider').waitFor();
      await send(page, 'A reply');
      await page.locator('.msg.mine:not([data-status="pending"])', { hasText: 'A reply' }).waitFor();
      found.push(...(await scan(page, size, 'chat')));
      // Muted: the header's switch pressed, and the list's row with its icon (scanned with the offer).
      const mute = page.getByRole('button', { name: 'Mute notifications' });
      await mute.click();
      await expect.poll(() => mute.getAttribute('aria-pressed')).toBe('true');
      found.push(...(await scan(page, size, 'chat-muted')));

      await page.getByRole('button', { name: `Delete chat with ${peer}` }).click();
      await page.getByRole('dialog').waitFor();
      found.push(...(await scan(page, size, 'delete-dialog')));
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

      // Back in the list, after a first message: the notifications offer, then the settings.
      await page.keyboard.press('Escape');
      await page.getByRole('region', { name: 'Notifications' }).waitFor();
      found.push(...(await scan(page, size, 'list-offer')));
      await page.getByRole('button', { name: 'Settings' }).click();
      await expect.poll(() => page.getByLabel('Read receipts').isEnabled()).toBe(true);
      found.push(...(await scan(page, size, 'settings')));

      expect(found).toEqual([]);
      expect(pageErrors).toEqual([]);
      await Promise.all(contexts.map((context) => context.close()));
    });
  }

  it('gives avatar initials a contrast of at least 4.5:1 on all 360 hues, light and dark', async () => {
    const context = await newUser();
    const page = await signIn(context, 'hues');
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      const worst = await page.evaluate(() => {
        // The computed colours may be OKLCH: a canvas turns them into the sRGB that is shown.
        const canvas = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
        if (!canvas) throw new Error('no canvas');
        const rgb = (color: string) => {
          canvas.clearRect(0, 0, 1, 1);
          canvas.fillStyle = color;
          canvas.fillRect(0, 0, 1, 1);
          return [...canvas.getImageData(0, 0, 1, 1).data.slice(0, 3)];
        };
        const luminance = (color: string) => {
          const [r = 0, g = 0, b = 0] = rgb(color).map((v) => {
            const c = v / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const probe = document.createElement('span');
        probe.className = 'avatar';
        document.body.append(probe);
        let lowest = Number.POSITIVE_INFINITY;
        for (let hue = 0; hue < 360; hue++) {
          probe.style.setProperty('--hue', String(hue));
          const style = getComputedStyle(probe);
          const [l1, l2] = [luminance(style.backgroundColor), luminance(style.color)].sort((x, y) => y - x);
          lowest = Math.min(lowest, ((l1 ?? 0) + 0.05) / ((l2 ?? 0) + 0.05));
        }
        probe.remove();
        return lowest;
      });
      expect(worst).toBeGreaterThanOrEqual(4.5);
    }
    await context.close();
  });

  it('puts the focus on the list heading after sign-in, and moves through the list with arrow keys', async () => {
    const contexts = [await newUser(), await newUser(), await newUser()];
    const [a, b, c] = contexts as [BrowserContext, BrowserContext, BrowserContext];
    const walker = await signIn(a, 'walker');
    expect(await walker.evaluate(() => document.activeElement?.id)).toBe('list-title');
    for (const [context, name] of [
      [b, 'writer-one'],
      [c, 'writer-two'],
    ] as const) {
      const writer = await signIn(context, name);
      await startChat(writer, 'walker');
      await send(writer, `Hi from ${name}`);
      await walker.locator('.conversation', { hasText: name }).waitFor();
    }
    await walker.locator('.conversation').first().focus();
    const focused = () => walker.evaluate(() => document.activeElement?.getAttribute('data-conversation'));
    const first = await focused();
    await walker.keyboard.press('ArrowDown');
    const second = await focused();
    expect(second).not.toBe(first);
    expect(second).toMatch(/writer/);
    await walker.keyboard.press('ArrowUp');
    expect(await focused()).toBe(first);
    await walker.keyboard.press('End');
    expect(await focused()).toBe(second);
    expect(pageErrors).toEqual([]);
    await Promise.all(contexts.map((context) => context.close()));
  });
});
