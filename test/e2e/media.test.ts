import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  DESKTOP,
  openConversation,
  PHONE,
  screenshot,
  startChat,
  useBrowserApp,
  WAIT_MS,
  waitForStatus,
} from '../support/browser';

// Chromium's synthetic microphone and camera, granted without a prompt.
const app = useBrowserApp({
  launchArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
const { newUser, signIn, pageErrors } = app;

/** A PNG drawn by the browser: a gradient sky and a sun, so that a wrong or blank image shows. */
async function drawPng(page: Page, width: number, height: number): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ([w, h]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2d context');
      const sky = context.createLinearGradient(0, 0, 0, h);
      sky.addColorStop(0, '#1e3a8a');
      sky.addColorStop(1, '#f97316');
      context.fillStyle = sky;
      context.fillRect(0, 0, w, h);
      context.fillStyle = '#fde047';
      context.beginPath();
      context.arc(w / 2, h * 0.7, h / 5, 0, Math.PI * 2);
      context.fill();
      return canvas.toDataURL('image/png');
    },
    [width, height] as const,
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** A short WebM video recorded by the browser's MediaRecorder from an animated canvas. */
async function recordWebm(page: Page, frames: number): Promise<Buffer> {
  const base64 = await page.evaluate(async (count) => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2d context');
    const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: 'video/webm' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const stopped = new Promise((resolve) => {
      recorder.onstop = resolve;
    });
    recorder.start();
    for (let frame = 0; frame < count; frame++) {
      context.fillStyle = `hsl(${(frame * 12) % 360} 70% 45%)`;
      context.fillRect(0, 0, 320, 240);
      context.fillStyle = '#fff';
      context.font = 'bold 48px sans-serif';
      context.fillText(`Frame ${frame}`, 40, 140);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    recorder.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  }, frames);
  return Buffer.from(base64, 'base64');
}

async function attach(page: Page, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.locator('#attach-file').setInputFiles(file);
}

describe('media messages in Chromium', () => {
  it('sends a photo with a caption: a preview before sending, a blurred placeholder, then the photo and its viewer', async () => {
    const aliceContext = await newUser(PHONE);
    const bobContext = await newUser(DESKTOP);
    const alice = await signIn(aliceContext, 'alice');
    const bob = await signIn(bobContext, 'bob');
    await startChat(alice, 'bob');
    // The page may load media from the local S3 and from nowhere else outside itself.
    const bucket = new URL(app.runtime.s3Endpoint).origin;
    const csp = await alice.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain(`img-src 'self' data: blob: ${bucket};`);
    expect(csp).toContain(`media-src 'self' blob: ${bucket};`);

    const png = await drawPng(alice, 640, 480);
    await attach(alice, { name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const compose = alice.getByRole('dialog', { name: 'Send to bob' });
    await compose.getByRole('img', { name: 'sunset.png' }).waitFor();
    await compose.getByLabel('Caption').fill('Sunset from the pier');
    await screenshot(alice, 'media-compose-phone');
    await compose.getByRole('button', { name: 'Send' }).click();

    await waitForStatus(alice, 'Sunset from the pier', 'delivered');
    await bob.locator('.conversation', { hasText: 'Photo: Sunset from the pier' }).waitFor();
    await openConversation(bob, 'alice');
    const received = bob.locator('.msg.theirs', { hasText: 'Sunset from the pier' });
    await received.locator('.media-image[data-loaded="true"]').waitFor();
    // The real file arrived, not only the preview: its natural size is the one drawn.
    expect(
      await received
        .locator('img.media-full')
        .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]),
    ).toEqual([640, 480]);
    expect(await received.locator('img.media-blur').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    await screenshot(bob, 'media-photo-desktop');
    await screenshot(alice, 'media-photo-phone');

    // The viewer opens full size, and Escape closes it without leaving the conversation.
    await received.getByRole('button', { name: /Open photo/ }).click();
    const viewer = bob.getByRole('dialog', { name: 'Sunset from the pier' });
    await viewer.waitFor();
    await screenshot(bob, 'media-viewer-desktop');
    await bob.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await bob.getByRole('heading', { name: 'alice' }).waitFor();
    expect(await bob.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(
      /Open photo/,
    );

    // Pasting an image into the message field opens the same preview; dropping a file of a type the
    // server refuses is refused at once.
    await alice.evaluate(
      (bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
        const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
        document.getElementById('composer')?.dispatchEvent(paste);
      },
      [...png],
    );
    const pasted = alice.getByRole('dialog', { name: 'Send to bob' });
    await pasted.getByRole('img', { name: 'pasted.png' }).waitFor();
    await pasted.getByRole('button', { name: 'Cancel' }).click();
    await pasted.waitFor({ state: 'detached' });
    await alice.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['<h1>hi</h1>'], 'page.html', { type: 'text/html' }));
      const drop = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
      document.querySelector('.chat-screen .log')?.dispatchEvent(drop);
    });
    await alice
      .getByRole('alert')
      .filter({ hasText: 'page.html: This kind of file cannot be sent' })
      .waitFor();
    expect(await alice.locator('.msg').count()).toBe(1);

    await alice.emulateMedia({ colorScheme: 'dark' });
    await screenshot(alice, 'media-photo-phone-dark');
    expect(pageErrors).toEqual([]);
    await Promise.all([aliceContext.close(), bobContext.close()]);
  });

  it('records a voice note with a timer, sends it as audio, and the peer plays and seeks it', async () => {
    const carolContext = await newUser({ ...PHONE, permissions: ['microphone'] });
    const daveContext = await newUser({ ...DESKTOP, colorScheme: 'dark' });
    const carol = await signIn(carolContext, 'carol');
    const dave = await signIn(daveContext, 'dave');
    await startChat(carol, 'dave');

    await carol.getByRole('button', { name: 'Record a voice note' }).click();
    await carol.getByRole('timer').filter({ hasText: '0:02' }).waitFor();
    await screenshot(carol, 'media-voice-recording-phone');
    await carol.getByRole('button', { name: 'Send the voice note' }).click();
    await carol.locator('.msg.mine[data-kind="audio"][data-status="delivered"]').waitFor();

    await openConversation(dave, 'carol');
    const note = dave.locator('.msg.theirs .media-voice');
    await note.waitFor();
    // The recording's length, from the message until the file tells it: 2 s, give or take the click.
    await note.locator('.voice-time', { hasText: /^0:00 \/ 0:0[23]$/ }).waitFor();
    await note.getByRole('button', { name: 'Play voice note' }).click();
    await note.getByRole('button', { name: 'Pause voice note' }).waitFor();
    await note.getByRole('button', { name: 'Play voice note' }).waitFor();
    const audio = note.locator('audio');
    expect(await audio.evaluate((element: HTMLAudioElement) => Number.isFinite(element.duration))).toBe(true);
    expect(await audio.evaluate((element: HTMLAudioElement) => element.duration)).toBeGreaterThan(1.5);

    await note.getByLabel('Position in the voice note').fill('1');
    expect(await audio.evaluate((element: HTMLAudioElement) => element.currentTime)).toBeCloseTo(1, 1);
    await note.locator('.voice-time', { hasText: /^0:01 \// }).waitFor();
    await screenshot(dave, 'media-voice-desktop-dark');
    expect(pageErrors).toEqual([]);
    await Promise.all([carolContext.close(), daveContext.close()]);
  });

  it('sends a short video that the peer sees with a poster frame and plays with native controls', async () => {
    const erinContext = await newUser(DESKTOP);
    const frankContext = await newUser(PHONE);
    const erin = await signIn(erinContext, 'erin');
    const frank = await signIn(frankContext, 'frank');
    await startChat(erin, 'frank');

    const webm = await recordWebm(erin, 30);
    await attach(erin, { name: 'clip.webm', mimeType: 'video/webm', buffer: webm });
    const compose = erin.getByRole('dialog', { name: 'Send to frank' });
    await compose.locator('video').waitFor();
    await compose.getByRole('button', { name: 'Send' }).click();
    await erin.locator('.msg.mine[data-kind="video"][data-status="delivered"]').waitFor();

    await openConversation(frank, 'erin');
    const video = frank.locator('.msg.theirs video.media-video');
    await video.waitFor();
    expect(await video.getAttribute('poster')).toMatch(/^data:image\/jpeg;base64,/);
    expect(await video.evaluate((element: HTMLVideoElement) => element.controls)).toBe(true);
    await frank.waitForFunction(() => {
      const element = document.querySelector<HTMLVideoElement>('.msg.theirs video.media-video');
      return element !== null && element.readyState >= HTMLMediaElement.HAVE_METADATA;
    });
    expect(
      await video.evaluate((element: HTMLVideoElement) => [element.videoWidth, element.videoHeight]),
    ).toEqual([320, 240]);
    await screenshot(frank, 'media-video-phone');
    await screenshot(erin, 'media-video-desktop');
    expect(pageErrors).toEqual([]);
    await Promise.all([erinContext.close(), frankContext.close()]);
  });

  it('cancels an upload, shows a refused upload with Try again, and renews a download URL that fails', async () => {
    const graceContext = await newUser(PHONE);
    const heidiContext = await newUser(PHONE);
    const grace = await signIn(graceContext, 'grace');
    const heidi = await signIn(heidiContext, 'heidi');
    await startChat(grace, 'heidi');
    const bucket = new URL(app.runtime.s3Endpoint).origin;

    // Grace's first two uploads are held, to be cancelled and refused; the later ones go through.
    const held: Route[] = [];
    const uploadHeld = (count: number) => expect.poll(() => held.length, { timeout: WAIT_MS }).toBe(count);
    await graceContext.route(
      (url) => url.origin === bucket,
      (route) => {
        if (route.request().method() !== 'POST' || held.length >= 2) return route.continue();
        held.push(route);
      },
    );
    const png = await drawPng(grace, 320, 240);

    await attach(grace, { name: 'first.png', mimeType: 'image/png', buffer: png });
    await grace.getByRole('dialog', { name: 'Send to heidi' }).getByRole('button', { name: 'Send' }).click();
    await uploadHeld(1);
    const uploading = grace.locator('.msg.mine[data-kind="image"][data-status="pending"]');
    await uploading.getByRole('progressbar', { name: 'Upload' }).waitFor();
    await screenshot(grace, 'media-uploading-phone');
    await uploading.getByRole('button', { name: 'Cancel' }).click();
    await uploading.waitFor({ state: 'detached' });

    await attach(grace, { name: 'second.png', mimeType: 'image/png', buffer: png });
    const compose = grace.getByRole('dialog', { name: 'Send to heidi' });
    await compose.getByLabel('Caption').fill('Second try');
    await compose.getByRole('button', { name: 'Send' }).click();
    await uploadHeld(2);
    await held[1]?.fulfill({
      status: 403,
      contentType: 'application/xml',
      headers: { 'access-control-allow-origin': '*' },
      body: '<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>',
    });
    const failed = grace.locator('.msg.mine[data-status="failed"]', { hasText: 'Second try' });
    await failed.getByRole('alert').filter({ hasText: 'The file could not be uploaded' }).waitFor();
    await screenshot(grace, 'media-upload-failed-phone');

    // Heidi's first download of a media object fails, as an expired URL does: the app asks for a new one.
    let refusedDownloads = 0;
    await heidiContext.route(
      (url) => url.origin === bucket,
      (route) => {
        if (route.request().method() !== 'GET' || refusedDownloads > 0) return route.continue();
        refusedDownloads++;
        return route.fulfill({
          status: 403,
          contentType: 'application/xml',
          body: '<Error><Code>AccessDenied</Code></Error>',
        });
      },
    );
    await failed.getByRole('button', { name: 'Try again' }).click();
    await waitForStatus(grace, 'Second try', 'delivered');
    await openConversation(heidi, 'grace');
    const received = heidi.locator('.msg.theirs', { hasText: 'Second try' });
    await received.locator('.media-image[data-loaded="true"]').waitFor();
    expect(refusedDownloads).toBe(1);
    const asked = app.framesSent(heidi).filter((frame) => frame.includes('"getMediaUrl"'));
    expect(asked).toHaveLength(1);
    expect(JSON.parse(asked[0] ?? '{}')).toMatchObject({
      action: 'getMediaUrl',
      conversationId: 'grace:heidi',
      seq: 1,
    });
    // Only the message that went through is stored: the cancelled and the refused uploads left nothing.
    expect(await heidi.locator('.msg').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await held[0]?.abort().catch(() => {});
    await Promise.all([graceContext.close(), heidiContext.close()]);
  });

  it('keeps a photo sent while offline, and sends it once the connection is back', async () => {
    const ivyContext = await newUser(PHONE);
    const judyContext = await newUser(DESKTOP);
    const ivy = await signIn(ivyContext, 'ivy');
    const judy = await signIn(judyContext, 'judy');
    await startChat(ivy, 'judy');
    const png = await drawPng(ivy, 200, 300);

    await ivyContext.setOffline(true);
    await ivy
      .getByRole('status')
      .filter({ hasText: /offline|Connection lost/ })
      .waitFor();
    await attach(ivy, { name: 'tunnel.png', mimeType: 'image/png', buffer: png });
    const compose = ivy.getByRole('dialog', { name: 'Send to judy' });
    await compose.getByLabel('Caption').fill('From the tunnel');
    await compose.getByRole('button', { name: 'Send' }).click();
    await waitForStatus(ivy, 'From the tunnel', 'pending');
    await screenshot(ivy, 'media-offline-phone');

    await ivyContext.setOffline(false);
    await waitForStatus(ivy, 'From the tunnel', 'delivered');
    await openConversation(judy, 'ivy');
    await judy
      .locator('.msg.theirs', { hasText: 'From the tunnel' })
      .locator('.media-image[data-loaded="true"]')
      .waitFor();
    expect(await ivy.locator('.msg', { hasText: 'From the tunnel' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await Promise.all([ivyContext.close(), judyContext.close()]);
  });
});
