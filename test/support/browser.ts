import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Runtime } from '../../local/runtime';
import { createWebServer, type WebServer } from '../../local/web-server';
import { startTestRuntime } from './runtime';

export const SCREENSHOTS = join('test-results', 'screenshots');
export const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 };
export const DESKTOP = { viewport: { width: 1100, height: 720 } };
/** Long enough for a cold handler and a reconnect with backoff; a missing feature still fails. */
export const WAIT_MS = 15_000;

export interface BrowserApp {
  readonly runtime: Runtime;
  /** Uncaught errors and Content-Security-Policy violations of every page opened. */
  readonly pageErrors: string[];
  /** The frames a page sent on its WebSockets, oldest first. */
  framesSent(page: Page): readonly string[];
  newUser(options?: BrowserContextOptions): Promise<BrowserContext>;
  openApp(context: BrowserContext): Promise<Page>;
  signIn(context: BrowserContext, username: string): Promise<Page>;
}

/**
 * The local runtime with the web client, and Debian's Chromium, for the test file that calls it:
 * started before its tests, stopped after them.
 */
export function useBrowserApp(options: { launchArgs?: readonly string[] } = {}): BrowserApp {
  let runtime: Runtime | undefined;
  let web: WebServer | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  const frames = new WeakMap<Page, string[]>();

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    web = await createWebServer({
      log: () => {},
      mediaOrigins: () => (runtime ? [new URL(runtime.s3Endpoint).origin] : []),
      vapidPublicKey: () => runtime?.vapidPublicKey,
    });
    runtime = await startTestRuntime({ httpFallback: web.httpFallback });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        ...(options.launchArgs ?? []),
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await web?.close();
  });

  const started = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} is not started: use it inside a test`);
    return value;
  };

  const app: BrowserApp = {
    get runtime() {
      return started(runtime, 'The runtime');
    },
    pageErrors,
    framesSent: (page) => frames.get(page) ?? [],
    async newUser(contextOptions = PHONE) {
      const context = await started(browser, 'The browser').newContext(contextOptions);
      context.setDefaultTimeout(WAIT_MS);
      return context;
    },
    async openApp(context) {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      const sent: string[] = [];
      frames.set(page, sent);
      page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String(payload))));
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) pageErrors.push(message.text());
      });
      await page.goto(app.runtime.httpUrl);
      return page;
    },
    async signIn(context, username) {
      const page = await app.openApp(context);
      await page.getByLabel('Username').fill(username);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Chats' }).waitFor();
      await waitUntilConnected(page);
      return page;
    },
  };
  return app;
}

/** The "Connecting…" banner goes once the connection is open: the user now exists for the others. */
export async function waitUntilConnected(page: Page): Promise<void> {
  await page.locator('.banner').waitFor({ state: 'hidden' });
}

export async function startChat(page: Page, peer: string): Promise<void> {
  await page.getByLabel('Start a conversation').fill(peer);
  await page.getByLabel('Start a conversation').press('Enter');
  await page.getByRole('heading', { name: peer }).waitFor();
}

export async function openConversation(page: Page, peer: string): Promise<void> {
  await page.locator('.conversation', { hasText: peer }).click();
  await page.getByRole('heading', { name: peer }).waitFor();
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel(/^Message to/).fill(text);
  await page.getByLabel(/^Message to/).press('Enter');
}

/** Waits until our message with this text shows this status (its ticks). */
export async function waitForStatus(
  page: Page,
  text: string,
  status: 'pending' | 'sent' | 'delivered' | 'seen',
): Promise<void> {
  await page.locator(`.msg.mine[data-status="${status}"]`, { hasText: text }).waitFor();
}

export async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.locator('.msg.theirs', { hasText: text }).waitFor();
}

export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
