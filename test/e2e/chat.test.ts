import type { BrowserContext } from 'playwright-core';
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

describe('the web client in Chromium', () => {
  it('signs two users in, and they chat both ways with typing shown', async () => {
    const aliceContext = await newUser();
    const bobContext = await newUser(DESKTOP);
    const aliceSignIn = await openApp(aliceContext);
    await screenshot(aliceSignIn, 'sign-in');
    await aliceSignIn.close();

    const alice = await signIn(aliceContext, 'alice');
    const bob = await signIn(bobContext, 'bob');
    await screenshot(alice, 'conversation-list-empty');

    await startChat(alice, 'bob');
    await send(alice, 'Hello Bob!');
    await bob.locator('.conversation', { hasText: 'Hello Bob!' }).waitFor();
    await openConversation(bob, 'alice');
    await waitForMessage(bob, 'Hello Bob!');

    await bob.getByLabel('Message to alice').pressSequentially('Hi Al');
    await alice.locator('#chat-presence', { hasText: 'typing…' }).waitFor();
    await bob.getByLabel('Message to alice').press('Enter');
    await waitForMessage(alice, 'Hi Al');
    await alice.locator('#chat-presence', { hasText: 'online' }).waitFor();

    await screenshot(alice, 'chat-phone');
    await screenshot(bob, 'chat-desktop');

    // Escape goes back to the list, with the keyboard focus on the conversation just left.
    await alice.keyboard.press('Escape');
    await alice.getByRole('heading', { name: 'Chats' }).waitFor();
    expect(await alice.evaluate(() => document.activeElement?.getAttribute('data-conversation'))).toBe(
      'alice:bob',
    );
    await screenshot(alice, 'conversation-list');
    expect(pageErrors).toEqual([]);
    await Promise.all([aliceContext.close(), bobContext.close()]);
  });

  it('moves the ticks from sent to delivered, then to seen when the peer opens the chat', async () => {
    const carolContext = await newUser();
    const daveContext = await newUser();
    const carol = await signIn(carolContext, 'carol');
    const dave = await signIn(daveContext, 'dave');
    await startChat(carol, 'dave');

    await send(carol, 'Are you there, Dave?');
    await waitForStatus(carol, 'Are you there, Dave?', 'delivered');
    await dave.locator('.conversation .badge', { hasText: '1' }).waitFor();
    await screenshot(dave, 'conversation-list-unread');

    await openConversation(dave, 'carol');
    await waitForStatus(carol, 'Are you there, Dave?', 'seen');
    await screenshot(carol, 'ticks-seen');
    expect(pageErrors).toEqual([]);
    await Promise.all([carolContext.close(), daveContext.close()]);
  });

  it('shows "last seen" once the peer closes the app, and delivers what they missed when they return', async () => {
    const erinContext = await newUser();
    const frankContext = await newUser();
    const erin = await signIn(erinContext, 'erin');
    let frank = await signIn(frankContext, 'frank');
    await startChat(erin, 'frank');
    await send(erin, 'First, while you are here');
    await frank.locator('.conversation', { hasText: 'First, while you are here' }).waitFor();
    await erin.locator('#chat-presence', { hasText: 'online' }).waitFor();

    await frank.close();
    await erin.locator('#chat-presence', { hasText: /last seen today at/ }).waitFor();
    await screenshot(erin, 'last-seen');

    await send(erin, 'Missed message one');
    await send(erin, 'Missed message two');
    await waitForStatus(erin, 'Missed message two', 'sent');

    // The same browser comes back: same device id and session, as after closing a tab.
    frank = await openApp(frankContext);
    await frank.locator('.conversation .badge', { hasText: '3' }).waitFor();
    await openConversation(frank, 'erin');
    for (const text of ['First, while you are here', 'Missed message one', 'Missed message two']) {
      await waitForMessage(frank, text);
    }
    await waitForStatus(erin, 'Missed message two', 'seen');
    expect(pageErrors).toEqual([]);
    await Promise.all([erinContext.close(), frankContext.close()]);
  });

  it('after a network loss, reconnects, sends what was written offline and catches up', async () => {
    const graceContext = await newUser();
    const heidiContext = await newUser();
    const grace = await signIn(graceContext, 'grace');
    const heidi = await signIn(heidiContext, 'heidi');
    await startChat(grace, 'heidi');
    await send(grace, 'Before the tunnel');
    await heidi.locator('.conversation', { hasText: 'Before the tunnel' }).waitFor();
    await openConversation(heidi, 'grace');

    await graceContext.setOffline(true);
    await grace
      .getByRole('status')
      .filter({ hasText: /offline|Connection lost/ })
      .waitFor();
    await send(grace, 'Written in the tunnel');
    await waitForStatus(grace, 'Written in the tunnel', 'pending');
    await send(heidi, 'Sent while Grace was away');
    await screenshot(grace, 'offline');

    await graceContext.setOffline(false);
    await waitForMessage(grace, 'Sent while Grace was away');
    await waitForMessage(heidi, 'Written in the tunnel');
    await waitForStatus(grace, 'Written in the tunnel', 'seen');
    await grace
      .getByRole('status')
      .filter({ hasText: /offline|Connection lost/ })
      .waitFor({ state: 'hidden' });
    expect(await grace.locator('.msg', { hasText: 'Written in the tunnel' }).count()).toBe(1);
    expect(await heidi.locator('.msg', { hasText: 'Written in the tunnel' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await Promise.all([graceContext.close(), heidiContext.close()]);
  });
});

describe('the web client in deployed mode (Cognito answered at the network layer)', () => {
  const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.com/';
  const calls: { operation: string; body: Record<string, unknown> }[] = [];

  /** Stands in for the Cognito user pool; its ID tokens come from the local issuer, so the gateway accepts them. */
  async function fakeCognito(context: BrowserContext): Promise<void> {
    await context.route('**/config.json', (route) =>
      route.fulfill({
        json: {
          mode: 'cognito',
          wsUrl: app.runtime.wsUrl,
          region: 'eu-west-1',
          userPoolClientId: 'web-client',
          vapidPublicKey: app.runtime.vapidPublicKey,
        },
      }),
    );
    await context.route(COGNITO, async (route) => {
      const operation = route.request().headers()['x-amz-target']?.split('.').pop() ?? '';
      const body = route.request().postDataJSON() as Record<string, unknown>;
      calls.push({ operation, body });
      const reply = (status: number, json: object) =>
        route.fulfill({
          status,
          contentType: 'application/x-amz-json-1.1',
          headers: { 'access-control-allow-origin': '*' },
          body: JSON.stringify(json),
        });
      if (operation === 'SignUp') {
        return reply(200, { UserConfirmed: false, CodeDeliveryDetails: { Destination: 'i***@e***' } });
      }
      if (operation === 'ConfirmSignUp') {
        return body.ConfirmationCode === '123456'
          ? reply(200, {})
          : reply(400, { __type: 'CodeMismatchException', message: 'Invalid verification code provided' });
      }
      const { token } = await app.runtime.issuer.issue('ivan');
      return reply(200, {
        AuthenticationResult: {
          IdToken: token,
          ExpiresIn: 3600,
          TokenType: 'Bearer',
          RefreshToken: 'refresh-1',
        },
      });
    });
  }

  it('signs up, confirms the code, signs in, chats, and stays signed in after a reload', async () => {
    const judyContext = await newUser();
    const judy = await signIn(judyContext, 'judy');
    const context = await newUser();
    await fakeCognito(context);
    const page = await openApp(context);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('ivan');
    await page.getByLabel('Email').fill('ivan@example.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await screenshot(page, 'cognito-sign-up');
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByLabel('Confirmation code').fill('000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    await screenshot(page, 'cognito-confirm-error');
    await page.getByLabel('Confirmation code').fill('123456');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();

    await startChat(page, 'judy');
    await send(page, 'Hello from a Cognito user');
    await judy.locator('.conversation', { hasText: 'Hello from a Cognito user' }).waitFor();

    // A reload keeps the session (through the refresh token) and the open conversation.
    await page.reload();
    await page.getByRole('heading', { name: 'judy' }).waitFor();
    await page.locator('.msg.mine', { hasText: 'Hello from a Cognito user' }).waitFor();

    // Signing out (from the list) revokes the refresh token, so a copy of it signs nobody in.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect
      .poll(() => calls.map((call) => call.operation))
      .toEqual(['SignUp', 'ConfirmSignUp', 'ConfirmSignUp', 'InitiateAuth', 'InitiateAuth', 'RevokeToken']);
    expect(calls[5]?.body).toEqual({ ClientId: 'web-client', Token: 'refresh-1' });
    expect(calls[0]?.body).toMatchObject({
      ClientId: 'web-client',
      Username: 'ivan',
      UserAttributes: [{ Name: 'email', Value: 'ivan@example.com' }],
    });
    expect(calls[3]?.body).toMatchObject({
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: 'ivan' },
    });
    expect(calls[4]?.body).toMatchObject({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: 'refresh-1' },
    });
    expect(pageErrors).toEqual([]);
    await Promise.all([context.close(), judyContext.close()]);
  });
});
