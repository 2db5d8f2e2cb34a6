import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decrypt } from 'http_ece';
import { importJWK, jwtVerify } from 'jose';
import * as z from 'zod/mini';

/**
 * A local Web Push service, standing in for Google's, Mozilla's or Apple's: it receives the push
 * function's requests as RFC 8030 defines them, checks their VAPID signature (RFC 8292) and decrypts
 * them (RFC 8291, with http_ece) with the subscription's keys, which it made as a browser would. What
 * it received waits until a test (or a person, over its HTTP API) takes it.
 *
 * HTTP API besides `POST /push/<id>`:
 *   POST   /subscriptions                   {"applicationServerKey"?} → PushSubscription.toJSON()
 *   GET    /subscriptions/<id>/messages      pending messages, decrypted
 *   DELETE /subscriptions/<id>/messages      the same, taken (no longer pending)
 *   POST   /subscriptions/<id>/expire        the subscription answers 410 from now on
 *   PUT    /outage                           {"mode": "none" | "error" | "hang"}
 */

/** RFC 8030 §7.2: a push service must accept payloads up to 4096 bytes; larger may be refused (413). */
const MAX_PAYLOAD_BYTES = 4096;
/** RFC 8292 §2: a JWT's `exp` no further than 24 hours ahead. */
const MAX_JWT_LIFETIME_S = 24 * 60 * 60;
const URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
/** RFC 8030 §5.4: at most 32 characters of the URL and filename safe base64 alphabet. */
const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;

export type Outage = 'none' | 'error' | 'hang';

export interface ReceivedPush {
  id: string;
  subscriptionId: string;
  /** The decrypted payload, as UTF-8 text. */
  payload: string;
  ttl: number;
  urgency: (typeof URGENCIES)[number];
  topic: string | null;
  receivedAt: number;
}

export interface LocalSubscription {
  id: string;
  /** What the Push API's `PushSubscription.toJSON()` gives a page. */
  json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

export interface LocalPushService {
  origin: string;
  /** Subscribes as a browser does, bound to `applicationServerKey` when given (VAPID `k` must match). */
  subscribe(applicationServerKey?: string): LocalSubscription;
  /** Pending messages of a subscription, oldest first; `take` also removes them. */
  pending(subscriptionId: string): ReceivedPush[];
  take(subscriptionId: string): ReceivedPush[];
  /** From now on the subscription answers 410 Gone, as one the browser unsubscribed. */
  expire(subscriptionId: string): void;
  /** `error`: every push is answered 503; `hang`: never answered. */
  setOutage(mode: Outage): void;
  /** Push requests received so far, accepted or not. */
  requestCount(): number;
  stop(): Promise<void>;
}

const storedSubscription = z.object({
  id: z.string(),
  privateKey: z.string(),
  publicKey: z.string(),
  auth: z.string(),
  applicationServerKey: z.nullable(z.string()),
  expired: z.boolean(),
});
type StoredSubscription = z.infer<typeof storedSubscription>;

export interface PushServiceOptions {
  /** Keeps subscriptions across restarts (the browser keeps its own); in memory when absent. */
  file?: string;
  port?: number;
  log?: (line: string) => void;
  clock?: () => number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** The P-256 public key of a VAPID `k` parameter, as jose verifies with it. */
function vapidKey(k: string) {
  const bytes = Buffer.from(k, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new Refusal(401, 'k is not a P-256 public key');
  return importJWK(
    {
      kty: 'EC',
      crv: 'P-256',
      x: bytes.subarray(1, 33).toString('base64url'),
      y: bytes.subarray(33).toString('base64url'),
    },
    'ES256',
  );
}

/**
 * RFC 8292 §3: `Authorization: vapid t=<JWT>, k=<public key>`; the JWT is ES256-signed with k's
 * private key, its `aud` is this service's origin, its `exp` at most 24 hours ahead, and `sub` a contact.
 */
async function checkVapid(header: string | undefined, origin: string, nowMs: number): Promise<string> {
  const match = /^vapid\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) throw new Refusal(401, 'no vapid Authorization');
  const params = new Map(
    match[1].split(',').map((part) => {
      const [name, ...value] = part.trim().split('=');
      return [name?.toLowerCase(), value.join('=')] as const;
    }),
  );
  const token = params.get('t');
  const k = params.get('k');
  if (!token || !k) throw new Refusal(401, 'vapid needs t and k');
  const nowS = Math.floor(nowMs / 1000);
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(token, await vapidKey(k), {
      algorithms: ['ES256'],
      audience: origin,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(401, `invalid VAPID JWT: ${error instanceof Error ? error.message : String(error)}`);
  }
  if ((payload.exp ?? 0) > nowS + MAX_JWT_LIFETIME_S) throw new Refusal(401, 'exp is more than 24 h ahead');
  if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub)) {
    throw new Refusal(401, 'sub is not a mailto: or https: contact');
  }
  return k;
}

/** RFC 8291: decrypts an aes128gcm push body with the subscription's private key and auth secret (base64url). */
export function decryptPush(body: Buffer, privateKey: string, authSecret: string): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
  return decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw new Refusal(413, `payload over ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

export async function startPushService(options: PushServiceOptions = {}): Promise<LocalPushService> {
  const log = options.log ?? (() => {});
  const now = options.clock ?? (() => Date.now());
  const subscriptions = new Map<string, StoredSubscription>();
  if (options.file && existsSync(options.file)) {
    const saved = z.array(storedSubscription).parse(JSON.parse(readFileSync(options.file, 'utf8')));
    for (const subscription of saved) subscriptions.set(subscription.id, subscription);
  }
  const save = () => {
    if (options.file) {
      writeFileSync(options.file, JSON.stringify([...subscriptions.values()]), { mode: 0o600 });
    }
  };
  const messages = new Map<string, ReceivedPush[]>();
  let outage: Outage = 'none';
  let requests = 0;
  const sockets = new Set<Socket>();
  let origin = '';

  const subscriptionJson = (s: StoredSubscription): LocalSubscription => ({
    id: s.id,
    json: {
      endpoint: `${origin}/push/${s.id}`,
      expirationTime: null,
      keys: { p256dh: s.publicKey, auth: s.auth },
    },
  });

  /** Messages whose TTL has not run out (RFC 8030 §5.2). */
  const live = (id: string) => {
    const kept = (messages.get(id) ?? []).filter((m) => m.receivedAt + m.ttl * 1000 >= now());
    messages.set(id, kept);
    return kept;
  };

  async function receive(req: IncomingMessage, id: string): Promise<{ status: number; location?: string }> {
    const subscription = subscriptions.get(id);
    if (!subscription) throw new Refusal(404, 'no such subscription');
    if (subscription.expired) throw new Refusal(410, 'subscription expired');
    const k = await checkVapid(req.headers.authorization, origin, now());
    // RFC 8292 §4.2: a subscription made with an applicationServerKey takes pushes signed with it only.
    if (subscription.applicationServerKey !== null && subscription.applicationServerKey !== k) {
      throw new Refusal(403, 'signed with another key than the subscription was made with');
    }
    const ttl = Number(req.headers.ttl);
    // RFC 8030 §5.2: a request without TTL is refused with 400.
    if (req.headers.ttl === undefined || !Number.isInteger(ttl) || ttl < 0) throw new Refusal(400, 'no TTL');
    const urgency = URGENCIES.find((u) => u === (req.headers.urgency ?? 'normal'));
    if (!urgency) throw new Refusal(400, 'unknown Urgency');
    const topicHeader = req.headers.topic;
    const topic = typeof topicHeader === 'string' ? topicHeader : null;
    if (topic !== null && !TOPIC.test(topic))
      throw new Refusal(400, 'Topic is not 1-32 base64url characters');
    if (req.headers['content-encoding'] !== 'aes128gcm') {
      throw new Refusal(415, 'Content-Encoding must be aes128gcm (RFC 8291)');
    }
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(subscription.privateKey, 'base64url'));
    let payload: string;
    try {
      payload = decrypt(body, {
        version: 'aes128gcm',
        privateKey: ecdh,
        authSecret: subscription.auth,
      }).toString('utf8');
    } catch (error) {
      throw new Refusal(400, `cannot decrypt: ${error instanceof Error ? error.message : String(error)}`);
    }
    const message: ReceivedPush = {
      id: randomUUID(),
      subscriptionId: id,
      payload,
      ttl,
      urgency,
      topic,
      receivedAt: now(),
    };
    // RFC 8030 §5.4: a pending message with the same topic is replaced by the new one.
    const pending = live(id).filter((m) => topic === null || m.topic !== topic);
    messages.set(id, [...pending, message]);
    log(`[push] ${id}: ${body.length} bytes, urgency ${urgency}${topic ? `, topic ${topic}` : ''}`);
    return { status: 201, location: `${origin}/messages/${message.id}` };
  }

  const service: Omit<LocalPushService, 'origin' | 'stop'> = {
    subscribe(applicationServerKey) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const subscription: StoredSubscription = {
        id: randomBytes(16).toString('base64url'),
        privateKey: ecdh.getPrivateKey().toString('base64url'),
        publicKey: ecdh.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
        applicationServerKey: applicationServerKey ?? null,
        expired: false,
      };
      subscriptions.set(subscription.id, subscription);
      save();
      return subscriptionJson(subscription);
    },
    pending: (id) => [...live(id)],
    take(id) {
      const taken = live(id);
      messages.set(id, []);
      return taken;
    },
    expire(id) {
      const subscription = subscriptions.get(id);
      if (!subscription) throw new Error(`No subscription ${id}`);
      subscription.expired = true;
      messages.delete(id);
      save();
    },
    setOutage(mode) {
      outage = mode;
    },
    requestCount: () => requests,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (req.method === 'OPTIONS') {
      // A page of the local web client may use the HTTP API (CORS preflight).
      res
        .writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, POST, PUT, DELETE',
          'access-control-allow-headers': 'content-type',
        })
        .end();
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (req.method === 'POST' && parts[0] === 'push' && parts[1] && parts.length === 2) {
      requests++;
      if (outage === 'hang') return;
      if (outage === 'error') {
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      }
      const { status, location } = await receive(req, parts[1]);
      res.writeHead(status, location ? { location } : {}).end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/subscriptions') {
      const body = await readBody(req, 4096);
      const { applicationServerKey } = z
        .object({ applicationServerKey: z.optional(z.string()) })
        .parse(body.length > 0 ? JSON.parse(body.toString('utf8')) : {});
      sendJson(res, 201, service.subscribe(applicationServerKey).json);
      return;
    }
    if (parts[0] === 'subscriptions' && parts[1] && !subscriptions.has(parts[1])) {
      throw new Refusal(404, 'no such subscription');
    }
    if (parts[0] === 'subscriptions' && parts[1] && parts[2] === 'messages') {
      if (req.method === 'GET') return sendJson(res, 200, service.pending(parts[1]));
      if (req.method === 'DELETE') return sendJson(res, 200, service.take(parts[1]));
    }
    if (req.method === 'POST' && parts[0] === 'subscriptions' && parts[1] && parts[2] === 'expire') {
      service.expire(parts[1]);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'PUT' && url.pathname === '/outage') {
      const { mode } = z
        .object({ mode: z.enum(['none', 'error', 'hang']) })
        .parse(JSON.parse((await readBody(req, 1024)).toString('utf8')));
      service.setOutage(mode);
      res.writeHead(204).end();
      return;
    }
    throw new Refusal(404, 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof Refusal ? error.status : 400;
      const reason = error instanceof Error ? error.message : String(error);
      if (status >= 400 && req.url?.startsWith('/push/')) log(`[push] refused ${status}: ${reason}`);
      if (!res.headersSent) sendJson(res, status, { error: reason });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    ...service,
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
