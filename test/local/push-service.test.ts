import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { decryptPush, type LocalPushService, startPushService } from '../../local/push-service';

/** RFC 8291 Appendix A: the example's keys, salt and encrypted message. */
const RFC8291 = {
  plaintext: 'When I grow up, I want to be a watermelon',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  authSecret: 'BTBZMqHH6r4Tts7J_aSIgg',
  message:
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:test@example.com' };

/** A push as an application server sends it: web-push signs and encrypts, fetch carries it. */
async function push(
  endpoint: string,
  keys: { p256dh: string; auth: string },
  payload: string,
  options: { topic?: string; headers?: Record<string, string>; vapidKeys?: typeof vapid } = {},
): Promise<Response> {
  const request = webpush.generateRequestDetails({ endpoint, keys }, payload, {
    vapidDetails: options.vapidKeys ?? vapid,
    TTL: 60,
    urgency: 'high',
    contentEncoding: 'aes128gcm',
    ...(options.topic && { topic: options.topic }),
  });
  // Overrides replace web-push's headers whatever their case; an empty one removes it.
  const headers = new Headers(request.headers as Record<string, string>);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === '') headers.delete(name);
    else headers.set(name, value);
  }
  return fetch(endpoint, {
    method: 'POST',
    headers,
    body: request.body === null ? null : new Uint8Array(request.body),
  });
}

describe('decryptPush', () => {
  it('decrypts the RFC 8291 Appendix A example message with its keys', () => {
    const body = Buffer.from(RFC8291.message, 'base64url');
    expect(decryptPush(body, RFC8291.uaPrivate, RFC8291.authSecret).toString('utf8')).toBe(RFC8291.plaintext);
  });
});

describe('local Web Push service', () => {
  let service: LocalPushService;

  beforeAll(async () => {
    service = await startPushService();
  });
  afterAll(async () => {
    await service.stop();
  });

  it('accepts a VAPID-signed aes128gcm push with 201 and a Location, and keeps it decrypted', async () => {
    const { id, json } = service.subscribe(vapid.publicKey);
    const response = await push(json.endpoint, json.keys, '{"hello":"push"}');
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toMatch(new RegExp(`^${service.origin}/messages/`));
    expect(service.take(id)).toMatchObject([{ payload: '{"hello":"push"}', ttl: 60, urgency: 'high' }]);
    expect(service.pending(id)).toEqual([]);
  });

  it('replaces a pending message that has the same Topic (RFC 8030 section 5.4)', async () => {
    const { id, json } = service.subscribe(vapid.publicKey);
    await push(json.endpoint, json.keys, 'first', { topic: 'conversation-a' });
    await push(json.endpoint, json.keys, 'other', { topic: 'conversation-b' });
    await push(json.endpoint, json.keys, 'second', { topic: 'conversation-a' });
    expect(service.pending(id).map((m) => [m.topic, m.payload])).toEqual([
      ['conversation-b', 'other'],
      ['conversation-a', 'second'],
    ]);
  });

  it('refuses a push signed with another key than the subscription was made with (403)', async () => {
    const { json } = service.subscribe(vapid.publicKey);
    const other = { ...webpush.generateVAPIDKeys(), subject: vapid.subject };
    expect((await push(json.endpoint, json.keys, 'x', { vapidKeys: other })).status).toBe(403);
  });

  it('refuses a push without VAPID, with a JWT for another audience, or one that lives over 24 h (401)', async () => {
    const { json } = service.subscribe();
    expect((await push(json.endpoint, json.keys, 'x', { headers: { authorization: '' } })).status).toBe(401);
    const elsewhere: Record<string, string> = webpush.getVapidHeaders(
      'https://push.example',
      vapid.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aes128gcm',
    );
    expect((await push(json.endpoint, json.keys, 'x', { headers: elsewhere })).status).toBe(401);
    // web-push will not sign this; jose does, with the same key.
    const point = Buffer.from(vapid.publicKey, 'base64url');
    const key = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
        d: vapid.privateKey,
      },
      'ES256',
    );
    const jwt = await new SignJWT({ aud: service.origin, sub: vapid.subject })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 25 * 60 * 60)
      .sign(key);
    const tooLong = { Authorization: `vapid t=${jwt}, k=${vapid.publicKey}` };
    expect((await push(json.endpoint, json.keys, 'x', { headers: tooLong })).status).toBe(401);
    const dayLong = await new SignJWT({ aud: service.origin, sub: vapid.subject })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + 23 * 60 * 60)
      .sign(key);
    const accepted = { Authorization: `vapid t=${dayLong}, k=${vapid.publicKey}` };
    expect((await push(json.endpoint, json.keys, 'x', { headers: accepted })).status).toBe(201);
  });

  it('requires TTL (400) and the aes128gcm content coding (415)', async () => {
    const { json } = service.subscribe();
    const withoutTtl = await push(json.endpoint, json.keys, 'x', { headers: { TTL: '' } });
    expect(withoutTtl.status).toBe(400);
    const legacy = await push(json.endpoint, json.keys, 'x', { headers: { 'Content-Encoding': 'aesgcm' } });
    expect(legacy.status).toBe(415);
  });

  it('answers 410 for an expired subscription and 404 for an unknown one', async () => {
    const { id, json } = service.subscribe();
    service.expire(id);
    expect((await push(json.endpoint, json.keys, 'x')).status).toBe(410);
    expect((await push(`${service.origin}/push/unknown`, json.keys, 'x')).status).toBe(404);
  });

  it('serves its HTTP API: subscribe, read and take, expire, outage', async () => {
    const created = await fetch(`${service.origin}/subscriptions`, {
      method: 'POST',
      body: JSON.stringify({ applicationServerKey: vapid.publicKey }),
    });
    expect(created.status).toBe(201);
    const json = (await created.json()) as { endpoint: string; keys: { p256dh: string; auth: string } };
    expect(json).toMatchObject({ expirationTime: null, keys: { auth: expect.any(String) } });
    const id = json.endpoint.split('/').at(-1) ?? '';
    await push(json.endpoint, json.keys, 'over http');

    const read = await fetch(`${service.origin}/subscriptions/${id}/messages`);
    expect(await read.json()).toMatchObject([{ payload: 'over http' }]);
    const taken = await fetch(`${service.origin}/subscriptions/${id}/messages`, { method: 'DELETE' });
    expect(await taken.json()).toMatchObject([{ payload: 'over http' }]);
    expect(service.pending(id)).toEqual([]);

    await fetch(`${service.origin}/outage`, { method: 'PUT', body: JSON.stringify({ mode: 'error' }) });
    expect((await push(json.endpoint, json.keys, 'x')).status).toBe(503);
    await fetch(`${service.origin}/outage`, { method: 'PUT', body: JSON.stringify({ mode: 'none' }) });

    await fetch(`${service.origin}/subscriptions/${id}/expire`, { method: 'POST' });
    expect((await push(json.endpoint, json.keys, 'x')).status).toBe(410);
  });
});
