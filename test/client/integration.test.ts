import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatClient, type SocketLike } from '../../client/chat-client';
import type { Runtime } from '../../local/runtime';
import { notificationFor, parsePushPayload } from '../../web/push-notification';
import { png } from '../support/media';
import { startTestRuntime } from '../support/runtime';

type Listener = (event: never) => void;

/**
 * A `ws` socket that can lose the connection right after the server answered a sendMessage, before the
 * client reads the ack: the message is stored, and the client cannot know it. It keeps every frame
 * written to it, to show what the library sends.
 */
class LossySocket implements SocketLike {
  static dropNextAck = false;
  static readonly sent: Record<string, unknown>[] = [];
  private readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url);
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    LossySocket.sent.push(JSON.parse(data) as Record<string, unknown>);
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: Listener): void {
    const deliver = listener as (event: unknown) => void;
    if (type !== 'message') {
      this.ws.addEventListener(type, deliver);
      return;
    }
    this.ws.addEventListener('message', (event) => {
      if (LossySocket.dropNextAck && String(event.data).includes('"type":"ack"')) {
        LossySocket.dropNextAck = false;
        this.ws.terminate();
        return;
      }
      deliver(event);
    });
  }
}

let runtime: Runtime;
const clients: ChatClient[] = [];

function clientFor(username: string, deviceId = `${username}-node`): ChatClient {
  const client = new ChatClient({
    url: runtime.wsUrl,
    userId: username,
    deviceId,
    getToken: async () => (await runtime.issuer.issue(username)).token,
    WebSocket: LossySocket,
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  runtime = await startTestRuntime();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await runtime.stop();
});

describe('the client library against the local runtime', () => {
  let alice: ChatClient;
  let bob: ChatClient;

  beforeAll(async () => {
    alice = clientFor('alice');
    bob = clientFor('bob');
    await Promise.all([alice.connect(), bob.connect()]);
  });

  it('lets two users exchange messages both ways', async () => {
    const bobGets = bob.next('message', (event) => event.text === 'Hello Bob');
    const ack = await alice.sendMessage('bob', 'Hello Bob');
    expect(ack).toMatchObject({ conversationId: 'alice:bob', duplicate: false });
    expect(await bobGets).toMatchObject({ from: 'alice', seq: ack.seq });

    const aliceGets = alice.next('message', (event) => event.text === 'Hi Alice');
    const reply = await bob.sendMessage('alice', 'Hi Alice');
    expect((await aliceGets).seq).toBe(reply.seq);
    expect(reply.seq).toBe(ack.seq + 1);

    for (const client of [alice, bob]) {
      expect(client.store.messages('alice:bob').map((m) => m.text)).toEqual(['Hello Bob', 'Hi Alice']);
    }
  });

  it('resends an unacknowledged message after a forced reconnect, and the peer gets it once', async () => {
    const received: string[] = [];
    const off = bob.on('message', (event) => received.push(event.messageId));
    LossySocket.dropNextAck = true;
    const reconnected = alice.next('state', (change) => change.state === 'open');

    const ack = await alice.sendMessage('bob', 'Sent across a lost connection', 'lost-ack-1');
    await reconnected;

    expect(ack).toMatchObject({ messageId: 'lost-ack-1', duplicate: true });
    expect(alice.pending()).toEqual([]);
    // Both invocations (the first, which delivered it, and the retry) have finished, and a round trip on
    // bob's socket comes after anything they posted to it: a second delivery would be here by now.
    await expect
      .poll(
        () =>
          runtime.telemetry
            .logs()
            .filter((record) => record.messageId === 'lost-ack-1' && record.message === 'frame handled')
            .length,
      )
      .toBe(2);
    await bob.request('heartbeat', {});
    off();
    expect(received).toEqual(['lost-ack-1']);
    const texts = bob.store.messages('alice:bob').map((m) => m.text);
    expect(texts.filter((text) => text === 'Sent across a lost connection')).toHaveLength(1);
  });

  it('sends what was written while disconnected once the connection is back', async () => {
    const bobGets = bob.next('message', (event) => event.text === 'Written offline');
    alice.disconnect('test: network lost');
    expect(alice.state).toBe('reconnecting');
    const ack = alice.sendMessage('bob', 'Written offline');
    expect(alice.pending().map((m) => m.text)).toEqual(['Written offline']);
    await expect(ack).resolves.toMatchObject({ duplicate: false });
    expect((await bobGets).messageId).toBe((await ack).messageId);
  });

  it('sends receipts without a requestId, and the peer still gets their status', async () => {
    const bobGets = bob.next('message', (event) => event.text === 'Read me');
    const ack = await alice.sendMessage('bob', 'Read me');
    await bobGets;
    const aliceSees = alice.next('status', (event) => event.userId === 'bob' && (event.seen ?? 0) >= ack.seq);
    bob.markSeen('alice:bob', ack.seq);
    expect(await aliceSees).toMatchObject({ conversationId: 'alice:bob', seen: ack.seq });
    const receipts = LossySocket.sent.filter(
      (frame) => frame.action === 'receipt' && frame.status === 'seen' && frame.upTo === ack.seq,
    );
    expect(receipts).toEqual([
      { action: 'receipt', conversationId: 'alice:bob', status: 'seen', upTo: ack.seq },
    ]);
  });

  it('sends a photo with sendMedia: uploaded with fetch, downloaded by the peer byte for byte', async () => {
    const file = new Blob([new Uint8Array(png(8, 6))], { type: 'image/png' });
    const bobGets = bob.next('message', (event) => event.media !== undefined);
    const progress: number[] = [];
    const ack = await alice.sendMedia({
      to: 'bob',
      file,
      caption: 'A tiny photo',
      width: 8,
      height: 6,
      onProgress: ({ loaded }) => progress.push(loaded),
    });
    const received = await bobGets;
    expect(received).toMatchObject({
      seq: ack.seq,
      text: 'A tiny photo',
      media: { kind: 'image', contentType: 'image/png', size: file.size, width: 8, height: 6 },
    });
    expect(progress.at(-1)).toBe(file.size);
    const download = await fetch(received.media?.url ?? '');
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer()).equals(png(8, 6))).toBe(true);

    // Alice's own copy, stored from the ack, has no URL until she asks for one.
    const own = alice.store.messages('alice:bob').find((message) => message.seq === ack.seq);
    expect(own?.media?.url).toBe('');
    const renewed = await alice.refreshMediaUrl('alice:bob', ack.seq);
    expect((await fetch(renewed.url)).status).toBe(200);
    expect(alice.store.messages('alice:bob').find((message) => message.seq === ack.seq)?.media?.url).toBe(
      renewed.url,
    );
  });
});

describe('push notifications through the client library', () => {
  it('subscribes a device, whose push the service worker shows as the sender and the text, until it is removed', async () => {
    const carol = clientFor('carol', 'carol-laptop');
    const dave = clientFor('dave');
    await Promise.all([carol.connect(), dave.connect()]);
    const subscription = runtime.pushService.subscribe(runtime.vapidPublicKey);
    const reply = await carol.setPushSubscription(subscription.json);
    expect(reply).toMatchObject({ subscribed: true, vapidPublicKey: runtime.vapidPublicKey });
    carol.close();

    await dave.sendMessage('carol', 'Dinner at 8?');
    await expect.poll(() => runtime.pushService.pending(subscription.id).length).toBe(1);
    const [push] = runtime.pushService.take(subscription.id);
    const shown = notificationFor(parsePushPayload(push?.payload));
    expect(shown).toMatchObject({ title: 'dave', options: { body: 'Dinner at 8?', tag: 'carol:dave' } });

    const again = clientFor('carol', 'carol-laptop');
    await again.connect();
    expect(await again.setPushSubscription(null)).toMatchObject({ subscribed: false });
  });

  it('mutes a conversation on every device of the user, and lists it muted', async () => {
    const erin = clientFor('erin', 'erin-laptop');
    const erinPhone = clientFor('erin', 'erin-phone');
    const frank = clientFor('frank');
    await Promise.all([erin.connect(), erinPhone.connect(), frank.connect()]);
    await frank.sendMessage('erin', 'Hi');

    const phoneHears = erinPhone.next('conversationMuted', (event) => event.muted);
    expect(await erin.muteConversation('erin:frank', true)).toMatchObject({ muted: true });
    await phoneHears;
    expect([erin.isMuted('erin:frank'), erinPhone.isMuted('erin:frank')]).toEqual([true, true]);

    const fresh = clientFor('erin', 'erin-tablet');
    await fresh.connect();
    const { conversations } = await fresh.listConversations();
    expect(conversations.find((c) => c.conversationId === 'erin:frank')?.muted).toBe(true);
    expect(fresh.isMuted('erin:frank')).toBe(true);

    await erin.muteConversation('erin:frank', false);
    expect(erin.isMuted('erin:frank')).toBe(false);
  });
});
