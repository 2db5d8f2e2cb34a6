import { setTimeout as delay } from 'node:timers/promises';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIMITS } from '../../contract/limits';
import { STAGE } from '../../contract/routes';
import {
  type Gateway,
  type GatewayEvent,
  type GatewayLimits,
  type GatewayRoute,
  type LambdaHandler,
  type LocalFunction,
  startGateway,
} from '../../local/gateway/server';

const SDK_CONFIG = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/**
 * Functions whose every instance runs the same handler: most tests here look at the gateway, not at
 * instances. `timeoutMs` is each function's own (Lambda) timeout.
 */
function asFunctions(
  handlers: Record<string, LambdaHandler>,
  timeoutMs = 10_000,
): Record<string, LocalFunction> {
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [name, { timeoutMs, createInstance: () => handler }]),
  );
}

const LIMITS_FOR_TESTS: GatewayLimits = {
  idleTimeoutMs: 60_000,
  maxConnectionMs: 120_000,
  maxMessageBytes: LIMITS.maxMessageBytes,
  maxFrameBytes: LIMITS.maxFrameBytes,
  integrationTimeoutMs: 1000,
};

// ---------------------------------------------------------------------------------------------------
// Helpers: real ws clients, and a record of what each test handler was invoked with.

interface Call {
  fn: string;
  event: unknown;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function connectionIdOf(event: unknown): string {
  const id = field(event, 'requestContext', 'connectionId');
  if (typeof id !== 'string') throw new Error('event has no connectionId');
  return id;
}

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}

interface Frame {
  text: string;
  isBinary: boolean;
}

interface Client {
  ws: WebSocket;
  connectionId: string;
  next(timeoutMs?: number): Promise<Frame>;
  /** Frames received and not yet taken by next(). */
  pending(): number;
  closed: Promise<{ code: number; reason: string }>;
}

function createRecorder() {
  const calls: Call[] = [];
  return {
    calls,
    record: (fn: string, event: unknown) => calls.push({ fn, event }),
    of: (fn: string) => calls.filter((call) => call.fn === fn),
    forConnection: (fn: string, connectionId: string) =>
      calls.filter(
        (call) => call.fn === fn && field(call.event, 'requestContext', 'connectionId') === connectionId,
      ),
  };
}

let clientCounter = 0;

/** Opens a client; the unique `tag` query parameter finds this client's $connect event. */
async function openClient(
  gateway: Gateway,
  recorder: ReturnType<typeof createRecorder>,
  query: Record<string, string>,
  protocols?: string[],
): Promise<Client> {
  clientCounter += 1;
  const tag = `client-${clientCounter}`;
  const url = `${gateway.wsUrl}?${new URLSearchParams({ ...query, tag })}`;
  const ws = new WebSocket(url, protocols, { headers: { 'User-Agent': 'gateway-test' } });
  const frames: Frame[] = [];
  const waiters: Array<(frame: Frame) => void> = [];
  ws.on('message', (data, isBinary) => {
    const frame = { text: Buffer.isBuffer(data) ? data.toString('utf8') : String(data), isBinary };
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const connectCall = recorder
    .of('connect')
    .find((call) => field(call.event, 'queryStringParameters', 'tag') === tag);
  return {
    ws,
    connectionId: connectionIdOf(connectCall?.event),
    closed,
    pending: () => frames.length,
    next(timeoutMs = 5000) {
      const ready = frames.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame in time')), timeoutMs);
        waiters.push((frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
      });
    },
  };
}

/** Attempts an upgrade that should be refused; resolves with the HTTP status and body. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        req.destroy();
      });
    });
  });
}

function send(client: Client, frame: unknown): void {
  client.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
}

async function closeClient(client: Client): Promise<void> {
  if (client.ws.readyState === WebSocket.OPEN) client.ws.close(1000, 'bye');
  await client.closed;
}

// ---------------------------------------------------------------------------------------------------

describe('gateway with an authorizer and routes', () => {
  const recorder = createRecorder();
  const logs: string[] = [];
  const events: GatewayEvent[] = [];
  let instances = 0;
  let gateway: Gateway;
  let management: ApiGatewayManagementApiClient;
  let lambda: LambdaClient;

  const functions: Record<string, LambdaHandler> = {
    authorizer: async (event) => {
      recorder.record('authorizer', event);
      const token = String(field(event, 'queryStringParameters', 'token'));
      if (token === 'unauthorized') throw new Error('Unauthorized');
      if (token === 'crash') throw new Error('authorizer bug');
      return {
        principalId: `user-${token}`,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'execute-api:Invoke',
              Effect: token === 'deny' ? 'Deny' : 'Allow',
              Resource: field(event, 'methodArn'),
            },
          ],
        },
        context: { userId: token, plan: 'pro', level: 3 },
      };
    },
    connect: async (event) => {
      recorder.record('connect', event);
      const mode = field(event, 'queryStringParameters', 'mode');
      if (mode === 'fail') return { statusCode: 500 };
      if (mode === 'throw') throw new Error('connect bug');
      if (mode === 'bare') return undefined;
      if (mode === 'protocol') return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'chat.v1' } };
      if (mode === 'post-inside') {
        try {
          await management.send(
            new PostToConnectionCommand({ ConnectionId: connectionIdOf(event), Data: 'early' }),
          );
          recorder.record('connect-post', 'sent');
        } catch (error) {
          recorder.record('connect-post', error);
        }
      }
      return { statusCode: 200 };
    },
    disconnect: async (event) => {
      recorder.record('disconnect', event);
      const outcome = await management
        .send(new PostToConnectionCommand({ ConnectionId: connectionIdOf(event), Data: 'too late' }))
        .then(
          () => 'sent',
          (error: unknown) => error,
        );
      recorder.record('disconnect-post', { connectionId: connectionIdOf(event), outcome });
      return { statusCode: 200 };
    },
    fallback: async (event) => {
      recorder.record('fallback', event);
      const reply = {
        route: '$default',
        body: field(event, 'body'),
        isBase64Encoded: field(event, 'isBase64Encoded'),
      };
      return { statusCode: 200, body: JSON.stringify(reply) };
    },
    echo: async (event) => {
      recorder.record('echo', event);
      return { statusCode: 200, body: JSON.stringify({ route: 'echo', body: field(event, 'body') }) };
    },
    silent: async (event) => {
      recorder.record('silent', event);
      return { statusCode: 200, body: 'not a route response' };
    },
    boom: async (event) => {
      recorder.record('boom', event);
      throw new Error('secret handler detail');
    },
    slow: async (event) => {
      recorder.record('slow', event);
      const body: unknown = JSON.parse(String(field(event, 'body')));
      await delay(Number(field(body, 'ms')));
      return { statusCode: 200, body: 'slow done' };
    },
    kick: async (event) => {
      recorder.record('kick', event);
      const payload = JSON.stringify({ connectionId: connectionIdOf(event) });
      await lambda.send(
        new InvokeCommand({ FunctionName: 'notify', InvocationType: 'Event', Payload: payload }),
      );
      return { statusCode: 200 };
    },
    huge: async () => ({ statusCode: 200, body: 'h'.repeat(LIMITS.maxMessageBytes + 1) }),
    notify: async (event) => {
      recorder.record('notify', event);
      const connectionId = field(event, 'connectionId');
      if (typeof connectionId === 'string') {
        await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'notified' }));
      }
      return { received: event };
    },
  };

  const routes: GatewayRoute[] = [
    { routeKey: '$connect', function: 'connect', replies: false },
    { routeKey: '$disconnect', function: 'disconnect', replies: false },
    { routeKey: '$default', function: 'fallback', replies: true },
    { routeKey: 'echo', function: 'echo', replies: true },
    { routeKey: 'silent', function: 'silent', replies: false },
    { routeKey: 'boom', function: 'boom', replies: true },
    { routeKey: 'slow', function: 'slow', replies: true },
    { routeKey: 'kick', function: 'kick', replies: false },
    { routeKey: 'short', function: 'short', replies: true },
    { routeKey: 'counter', function: 'counter', replies: true },
    { routeKey: 'huge', function: 'huge', replies: true },
  ];

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes,
      authorizer: { function: 'authorizer', tokenQueryParameter: 'token' },
      functions: {
        ...asFunctions(functions),
        // Its own timeout is shorter than the gateway's: it is Lambda that stops it.
        short: { timeoutMs: 300, createInstance: () => functions.slow ?? (async () => undefined) },
        // Each instance counts its own invocations in module state of its own.
        counter: {
          timeoutMs: 10_000,
          createInstance: () => {
            instances += 1;
            const instance = instances;
            let invocations = 0;
            return async (event, context) => {
              invocations += 1;
              const body: unknown = JSON.parse(String(field(event, 'body')));
              await delay(Number(field(body, 'ms') ?? 0));
              const remainingMs = context.getRemainingTimeInMillis();
              return { statusCode: 200, body: JSON.stringify({ instance, invocations, remainingMs }) };
            };
          },
        },
      },
      limits: LIMITS_FOR_TESTS,
      onEvent: (event) => events.push(event),
      log: (line) => logs.push(line),
    });
    management = new ApiGatewayManagementApiClient({ ...SDK_CONFIG, endpoint: gateway.connectionsEndpoint });
    lambda = new LambdaClient({ ...SDK_CONFIG, endpoint: gateway.lambdaEndpoint });
  });

  afterAll(async () => {
    management.destroy();
    lambda.destroy();
    await gateway.close();
  });

  describe('upgrade', () => {
    it('answers 401 without invoking the authorizer when the token is missing', async () => {
      const before = recorder.of('authorizer').length;

      const refused = await refusedUpgrade(gateway.wsUrl);

      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toEqual({ message: 'Unauthorized' });
      expect(recorder.of('authorizer')).toHaveLength(before);
    });

    it('answers 401 when the authorizer throws Unauthorized, 403 on Deny and 500 when it fails', async () => {
      const connectsBefore = recorder.of('connect').length;

      const unauthorized = await refusedUpgrade(`${gateway.wsUrl}?token=unauthorized`);
      const denied = await refusedUpgrade(`${gateway.wsUrl}?token=deny`);
      const crashed = await refusedUpgrade(`${gateway.wsUrl}?token=crash`);

      expect([unauthorized.status, denied.status, crashed.status]).toEqual([401, 403, 500]);
      expect(recorder.of('connect')).toHaveLength(connectsBefore);
      expect(gateway.connectionCount()).toBe(0);
    });

    it('refuses the upgrade with the status $connect returns, or 502 when it throws, and keeps no connection', async () => {
      const disconnectsBefore = recorder.of('disconnect').length;

      const failed = await refusedUpgrade(`${gateway.wsUrl}?token=alice&mode=fail`);
      const threw = await refusedUpgrade(`${gateway.wsUrl}?token=alice&mode=throw`);

      expect(failed.status).toBe(500);
      expect(threw.status).toBe(502);
      expect(logs.some((line) => line.includes('connect bug'))).toBe(true);
      expect(gateway.connectionCount()).toBe(0);
      expect(recorder.of('disconnect')).toHaveLength(disconnectsBefore);
    });

    it('treats a $connect result without statusCode as 200', async () => {
      const client = await openClient(gateway, recorder, { token: 'alice', mode: 'bare' });

      expect(client.ws.readyState).toBe(WebSocket.OPEN);
      await closeClient(client);
    });

    it('echoes the subprotocol that $connect returns', async () => {
      const client = await openClient(gateway, recorder, { token: 'alice', mode: 'protocol' }, ['chat.v1']);

      expect(client.ws.protocol).toBe('chat.v1');
      await closeClient(client);
    });

    it('passes REQUEST authorizer and CONNECT events shaped like API Gateway', async () => {
      const client = await openClient(gateway, recorder, { token: 'alice' });

      const connect = recorder.forConnection('connect', client.connectionId)[0]?.event;
      const authorizer = recorder
        .of('authorizer')
        .find((call) => field(call.event, 'requestContext', 'connectionId') === client.connectionId)?.event;
      expect(client.connectionId).toMatch(/^[A-Za-z0-9]{15}=$/);
      expect(authorizer).toMatchObject({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:local:000000000000:localapi/${STAGE}/$connect`,
        queryStringParameters: { token: 'alice' },
        multiValueQueryStringParameters: { token: ['alice'] },
        stageVariables: {},
        requestContext: { routeKey: '$connect', eventType: 'CONNECT', stage: STAGE },
      });
      const forwarding = {
        'X-Forwarded-For': '127.0.0.1',
        'X-Forwarded-Port': String(gateway.port),
        'X-Forwarded-Proto': 'http',
        'X-Amzn-Trace-Id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      };
      expect(authorizer).toMatchObject({ headers: forwarding });
      expect(connect).toMatchObject({
        headers: { 'User-Agent': 'gateway-test', 'Sec-WebSocket-Version': '13', ...forwarding },
        multiValueHeaders: { 'User-Agent': ['gateway-test'] },
        queryStringParameters: { token: 'alice' },
        isBase64Encoded: false,
        requestContext: {
          routeKey: '$connect',
          eventType: 'CONNECT',
          stage: STAGE,
          apiId: 'localapi',
          messageDirection: 'IN',
          identity: { sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
          connectedAt: expect.any(Number),
          requestTimeEpoch: expect.any(Number),
          requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
        },
      });
      expect(gateway.connectionCount()).toBe(1);
      await closeClient(client);
    });

    it('rejects upgrades on another path', async () => {
      const refused = await refusedUpgrade(`${gateway.httpUrl.replace('http', 'ws')}/other?token=alice`);

      expect(refused.status).toBe(403);
    });
  });

  it('gives the authorizer context to $connect, message routes and $disconnect', async () => {
    const client = await openClient(gateway, recorder, { token: 'alice' });
    send(client, { action: 'echo', text: 'hi' });
    await client.next();
    await closeClient(client);
    await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);

    // API Gateway hands routes every context value as a string; integrationLatency stays a number.
    const expected = {
      principalId: 'user-alice',
      userId: 'alice',
      plan: 'pro',
      level: '3',
      integrationLatency: expect.any(Number),
    };
    for (const fn of ['connect', 'echo', 'disconnect']) {
      const event = recorder.forConnection(fn, client.connectionId)[0]?.event;
      expect(field(event, 'requestContext', 'authorizer'), fn).toEqual(expected);
    }
    expect(recorder.forConnection('disconnect', client.connectionId)[0]?.event).toMatchObject({
      requestContext: {
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: 1000,
        disconnectReason: 'bye',
      },
    });
    expect(recorder.forConnection('disconnect', client.connectionId)).toHaveLength(1);
  });

  it('answers GoneException (410) to a post from $disconnect, which runs after the socket is gone', async () => {
    const client = await openClient(gateway, recorder, { token: 'alice' });
    await closeClient(client);

    const call = await eventually(() =>
      recorder.of('disconnect-post').find((c) => field(c.event, 'connectionId') === client.connectionId),
    );

    expect(field(call.event, 'outcome', 'name')).toBe('GoneException');
    expect(field(call.event, 'outcome', '$metadata', 'httpStatusCode')).toBe(410);
  });

  describe('messages', () => {
    let client: Client;

    beforeAll(async () => {
      client = await openClient(gateway, recorder, { token: 'bob' });
    });

    afterAll(async () => {
      await closeClient(client);
    });

    it('routes a known action to its route and replies with the body', async () => {
      send(client, { action: 'echo', n: 1 });

      const frame = await client.next();

      expect(JSON.parse(frame.text)).toEqual({ route: 'echo', body: '{"action":"echo","n":1}' });
      const event = recorder.forConnection('echo', client.connectionId).at(-1)?.event;
      expect(event).toMatchObject({
        body: '{"action":"echo","n":1}',
        isBase64Encoded: false,
        requestContext: {
          routeKey: 'echo',
          eventType: 'MESSAGE',
          messageDirection: 'IN',
          messageId: expect.stringMatching(/=$/),
          requestId: expect.any(String),
          connectionId: client.connectionId,
          identity: { sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
        },
      });
    });

    it('routes an unknown action, a $ route key, a body without action and bad JSON to $default', async () => {
      const bodies = ['{"action":"nope"}', '{"action":"$connect"}', '{"text":"no action"}', 'not json {'];
      for (const body of bodies) {
        send(client, body);
        const frame = await client.next();
        expect(JSON.parse(frame.text)).toEqual({ route: '$default', body, isBase64Encoded: false });
      }
    });

    it('sends no route response when the route does not reply', async () => {
      const before = recorder.forConnection('silent', client.connectionId).length;
      send(client, { action: 'silent' });
      await eventually(() => recorder.forConnection('silent', client.connectionId)[before]);
      await delay(50);

      send(client, { action: 'echo', n: 2 });
      const frame = await client.next();

      expect(JSON.parse(frame.text)).toMatchObject({ route: 'echo' });
      expect(client.pending()).toBe(0);
    });

    it('answers a failing handler with Internal server error, hides its error and keeps the socket open', async () => {
      send(client, { action: 'boom' });

      const frame = await client.next();

      const event = recorder.forConnection('boom', client.connectionId).at(-1)?.event;
      expect(JSON.parse(frame.text)).toEqual({
        message: 'Internal server error',
        connectionId: client.connectionId,
        requestId: field(event, 'requestContext', 'requestId'),
      });
      expect(frame.text).not.toContain('secret');
      expect(logs.some((line) => line.includes('secret handler detail'))).toBe(true);
      send(client, { action: 'echo', n: 3 });
      expect(JSON.parse((await client.next()).text)).toMatchObject({ route: 'echo' });
    });

    it('answers Endpoint request timed out when a handler outlives the integration timeout', async () => {
      send(client, { action: 'slow', ms: 1500 });

      const frame = await client.next(3000);

      expect(JSON.parse(frame.text)).toEqual({
        message: 'Endpoint request timed out',
        connectionId: client.connectionId,
        requestId: expect.any(String),
      });
    });

    it('answers Internal server error when a handler outlives its own, shorter timeout', async () => {
      send(client, { action: 'short', ms: 600 });

      const frame = await client.next(3000);

      expect(JSON.parse(frame.text)).toMatchObject({ message: 'Internal server error' });
      expect(logs.some((line) => line.includes('Task timed out after 0.30 seconds'))).toBe(true);
    });

    it("counts a handler's remaining time down from its own timeout", async () => {
      send(client, { action: 'counter', ms: 0 });

      const reply = JSON.parse((await client.next()).text);

      expect(reply.remainingMs).toBeLessThanOrEqual(10_000);
      expect(reply.remainingMs).toBeGreaterThan(LIMITS_FOR_TESTS.integrationTimeoutMs);
    });

    it('runs concurrent invocations in separate instances and reuses an idle one', async () => {
      const before = instances;
      for (let i = 0; i < 3; i += 1) send(client, { action: 'counter', ms: 200 });
      const replies = [];
      for (let i = 0; i < 3; i += 1) replies.push(JSON.parse((await client.next()).text));
      send(client, { action: 'counter', ms: 0 });
      const reused = JSON.parse((await client.next()).text);

      // Three at once needed three instances (one may be the idle one from the test above), each
      // with its own module state; the fourth found an idle one.
      const used = new Set(replies.map((reply) => reply.instance));
      expect(used.size).toBe(3);
      expect(instances - before).toBeGreaterThanOrEqual(2);
      expect(used.has(reused.instance)).toBe(true);
      expect(reused.invocations).toBeGreaterThan(1);
      expect(gateway.instanceCount('counter')).toBe(instances);
    });

    it('does not deliver a route response over the outgoing limit, and reports it', async () => {
      send(client, { action: 'huge' });

      const oversize = await eventually(() => events.find((event) => event.type === 'oversize'));
      send(client, { action: 'echo', n: 4 });

      expect(oversize).toEqual({
        type: 'oversize',
        connectionId: client.connectionId,
        bytes: LIMITS.maxMessageBytes + 1,
        source: 'route response',
      });
      expect(JSON.parse((await client.next()).text)).toMatchObject({ route: 'echo' });
    });

    it('dispatches frames concurrently and loses none', async () => {
      send(client, { action: 'slow', ms: 300 });
      for (let n = 0; n < 20; n += 1) send(client, { action: 'echo', n });

      const texts: string[] = [];
      for (let i = 0; i < 21; i += 1) texts.push((await client.next()).text);

      expect(texts.at(-1)).toBe('slow done');
      const echoed = texts.slice(0, 20).map((text) => JSON.parse(String(JSON.parse(text).body)).n);
      expect([...echoed].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    });
  });

  it('refuses unsigned @connections and Lambda API requests, as IAM authorization does', async () => {
    const client = await openClient(gateway, recorder, { token: 'kate' });

    const post = await fetch(
      `${gateway.connectionsEndpoint}/@connections/${encodeURIComponent(client.connectionId)}`,
      {
        method: 'POST',
        body: 'unsigned',
      },
    );
    const invoke = await fetch(`${gateway.lambdaEndpoint}/2015-03-31/functions/notify/invocations`, {
      method: 'POST',
      body: '{}',
    });

    for (const response of [post, invoke]) {
      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    }
    expect(client.pending()).toBe(0);
    await closeClient(client);
  });

  describe('@connections through the SDK', () => {
    it('fails with GoneException (410) while $connect runs', async () => {
      const client = await openClient(gateway, recorder, { token: 'carol', mode: 'post-inside' });

      const outcome = recorder.of('connect-post').at(-1)?.event;
      expect(outcome).toBeInstanceOf(Error);
      expect(field(outcome, 'name')).toBe('GoneException');
      expect(field(outcome, '$metadata', 'httpStatusCode')).toBe(410);
      await closeClient(client);
    });

    it('posts, gets and deletes a connection', async () => {
      const client = await openClient(gateway, recorder, { token: 'dave' });

      const posted = await management.send(
        new PostToConnectionCommand({ ConnectionId: client.connectionId, Data: '{"type":"hello"}' }),
      );
      const frame = await client.next();
      const info = await management.send(new GetConnectionCommand({ ConnectionId: client.connectionId }));
      const deleted = await management.send(
        new DeleteConnectionCommand({ ConnectionId: client.connectionId }),
      );
      const closed = await client.closed;

      expect(posted.$metadata.httpStatusCode).toBe(200);
      expect(frame).toEqual({ text: '{"type":"hello"}', isBinary: false });
      expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'gateway-test' });
      expect(info.ConnectedAt).toBeInstanceOf(Date);
      expect(info.LastActiveAt).toBeInstanceOf(Date);
      expect(Math.abs((info.ConnectedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(10_000);
      expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt?.getTime() ?? Number.NaN);
      expect(deleted.$metadata.httpStatusCode).toBe(204);
      expect(closed.code).toBe(1000);
      const disconnect = await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);
      expect(disconnect.event).toMatchObject({
        requestContext: { disconnectStatusCode: 1000, disconnectReason: 'Connection Closed Normally' },
      });
    });

    it('sends bytes that are not UTF-8 as a binary frame', async () => {
      const client = await openClient(gateway, recorder, { token: 'erin' });

      await management.send(
        new PostToConnectionCommand({
          ConnectionId: client.connectionId,
          Data: new Uint8Array([0xff, 0xfe, 0x00]),
        }),
      );
      const frame = await client.next();

      expect(frame.isBinary).toBe(true);
      await closeClient(client);
    });

    it('fails with GoneException for a closed or unknown connection', async () => {
      const client = await openClient(gateway, recorder, { token: 'frank' });
      await closeClient(client);

      const errors = await Promise.all(
        [client.connectionId, 'AAAAAAAAAAAAAAA='].map((id) =>
          management.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'x' })).then(
            () => undefined,
            (error: unknown) => error,
          ),
        ),
      );
      const getError = await management
        .send(new GetConnectionCommand({ ConnectionId: client.connectionId }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );

      for (const error of [...errors, getError]) {
        expect(field(error, 'name')).toBe('GoneException');
        expect(field(error, '$metadata', 'httpStatusCode')).toBe(410);
      }
    });

    it('fails with PayloadTooLargeException (413) above 128 KB', async () => {
      const client = await openClient(gateway, recorder, { token: 'gina' });

      const error = await management
        .send(
          new PostToConnectionCommand({
            ConnectionId: client.connectionId,
            Data: 'x'.repeat(LIMITS.maxMessageBytes + 1),
          }),
        )
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      const atLimit = await management.send(
        new PostToConnectionCommand({
          ConnectionId: client.connectionId,
          Data: 'y'.repeat(LIMITS.maxMessageBytes),
        }),
      );

      expect(field(error, 'name')).toBe('PayloadTooLargeException');
      expect(field(error, '$metadata', 'httpStatusCode')).toBe(413);
      expect(atLimit.$metadata.httpStatusCode).toBe(200);
      expect((await client.next()).text).toHaveLength(LIMITS.maxMessageBytes);
      await closeClient(client);
    });
  });

  it('closes the socket with 1003 on a binary frame, then fires $disconnect, and routes nothing', async () => {
    const client = await openClient(gateway, recorder, { token: 'iris' });

    client.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    const closed = await client.closed;

    expect(closed.code).toBe(1003);
    const disconnect = await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);
    expect(field(disconnect.event, 'requestContext', 'disconnectStatusCode')).toBe(1003);
    expect(recorder.forConnection('fallback', client.connectionId)).toHaveLength(0);
  });

  it('takes a text frame of 32 KB', async () => {
    const client = await openClient(gateway, recorder, { token: 'jack' });
    const body = JSON.stringify({ action: 'echo', pad: '' });
    const frame = JSON.stringify({ action: 'echo', pad: 'p'.repeat(LIMITS.maxFrameBytes - body.length) });

    client.ws.send(frame);

    expect(Buffer.byteLength(frame)).toBe(LIMITS.maxFrameBytes);
    expect(JSON.parse((await client.next()).text)).toMatchObject({ route: 'echo' });
    await closeClient(client);
  });

  it('closes the socket with 1009 on a frame over 32 KB, then fires $disconnect', async () => {
    const client = await openClient(gateway, recorder, { token: 'hank' });

    client.ws.send('z'.repeat(LIMITS.maxFrameBytes + 1));
    const closed = await client.closed;

    expect(closed.code).toBe(1009);
    const disconnect = await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);
    expect(field(disconnect.event, 'requestContext', 'disconnectStatusCode')).toBe(1009);
    expect(recorder.forConnection('fallback', client.connectionId)).toHaveLength(0);
  });

  describe('Lambda Invoke API through the SDK', () => {
    it('runs an Event invocation in the background and answers 202', async () => {
      const before = recorder.of('notify').length;

      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'notify', InvocationType: 'Event', Payload: '{"hello":1}' }),
      );

      expect(result.StatusCode).toBe(202);
      const call = await eventually(() => recorder.of('notify')[before]);
      expect(call.event).toEqual({ hello: 1 });
    });

    it('lets a route handler invoke another function asynchronously that posts to the caller', async () => {
      const client = await openClient(gateway, recorder, { token: 'ivy' });

      send(client, { action: 'kick' });

      expect(await client.next()).toEqual({ text: 'notified', isBinary: false });
      await closeClient(client);
    });

    it('answers a RequestResponse invocation by ARN with the JSON result', async () => {
      const result = await lambda.send(
        new InvokeCommand({
          FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:notify',
          Payload: '{"n":2}',
        }),
      );

      expect(result.StatusCode).toBe(200);
      expect(result.FunctionError).toBeUndefined();
      expect(JSON.parse(result.Payload?.transformToString() ?? '')).toEqual({ received: { n: 2 } });
    });

    it('reports a failing function as an Unhandled function error', async () => {
      const result = await lambda.send(new InvokeCommand({ FunctionName: 'boom', Payload: '{}' }));

      expect(result.StatusCode).toBe(200);
      expect(result.FunctionError).toBe('Unhandled');
      expect(JSON.parse(result.Payload?.transformToString() ?? '')).toMatchObject({
        errorType: 'Error',
        errorMessage: 'secret handler detail',
      });
    });

    it('answers ResourceNotFoundException (404) for an unknown function', async () => {
      const error = await lambda
        .send(new InvokeCommand({ FunctionName: 'missing', InvocationType: 'Event', Payload: '{}' }))
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );

      expect(field(error, 'name')).toBe('ResourceNotFoundException');
      expect(field(error, '$metadata', 'httpStatusCode')).toBe(404);
    });
  });

  it('sends other HTTP requests to 404 when there is no fallback', async () => {
    const response = await fetch(`${gateway.httpUrl}/index.html`);

    expect(response.status).toBe(404);
  });
});

describe('gateway without a $default route', () => {
  const recorder = createRecorder();
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes: [
        { routeKey: '$connect', function: 'connect', replies: false },
        { routeKey: 'echo', function: 'echo', replies: true },
      ],
      functions: asFunctions({
        connect: async (event) => {
          recorder.record('connect', event);
          return { statusCode: 200 };
        },
        echo: async () => ({ statusCode: 200, body: 'echoed' }),
      }),
      limits: { ...LIMITS_FOR_TESTS, maxMessageBytes: 1024, maxFrameBytes: 1024 },
      httpFallback: (req, res) => {
        if (req.url !== '/hello') return false;
        res.end('hello');
        return true;
      },
      log: () => {},
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('answers an unmatched message with Forbidden, as API Gateway does', async () => {
    const client = await openClient(gateway, recorder, {});

    send(client, { action: 'nope' });
    const frame = JSON.parse((await client.next()).text);
    send(client, { action: 'echo' });
    const echoed = await client.next();

    expect(frame).toEqual({
      message: 'Forbidden',
      connectionId: client.connectionId,
      requestId: expect.any(String),
    });
    expect(echoed.text).toBe('echoed');
    await closeClient(client);
  });

  it('serves other HTTP requests through httpFallback', async () => {
    const hello = await fetch(`${gateway.httpUrl}/hello`);
    const missing = await fetch(`${gateway.httpUrl}/missing`);

    expect([hello.status, await hello.text(), missing.status]).toEqual([200, 'hello', 404]);
  });
});

describe('gateway connection time limits', () => {
  const recorder = createRecorder();
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes: [
        { routeKey: '$connect', function: 'connect', replies: false },
        { routeKey: '$disconnect', function: 'disconnect', replies: false },
        { routeKey: '$default', function: 'fallback', replies: false },
      ],
      functions: asFunctions({
        connect: async (event) => {
          recorder.record('connect', event);
          return { statusCode: 200 };
        },
        disconnect: async (event) => {
          recorder.record('disconnect', event);
          return { statusCode: 200 };
        },
        fallback: async () => ({ statusCode: 200 }),
      }),
      limits: { ...LIMITS_FOR_TESTS, idleTimeoutMs: 300, maxConnectionMs: 800 },
      log: () => {},
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('closes an idle connection with 1001 Going away and fires $disconnect', async () => {
    // A busy twin opened alongside it: still open when the idle one closes, so that close was the idle
    // timeout and not the maximum duration, which both would reach together.
    const [client, busy] = await Promise.all([
      openClient(gateway, recorder, {}),
      openClient(gateway, recorder, {}),
    ]);
    const opened = Date.now();
    const keepAlive = setInterval(() => send(busy, { action: 'ping' }), 50);

    const closed = await client.closed;
    const elapsed = Date.now() - opened;
    clearInterval(keepAlive);

    expect(closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(busy.ws.readyState).toBe(WebSocket.OPEN);
    const disconnect = await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);
    expect(field(disconnect.event, 'requestContext', 'disconnectStatusCode')).toBe(1001);
    busy.ws.close();
    await busy.closed;
    await eventually(() => (gateway.connectionCount() === 0 ? true : undefined));
  });

  it('closes a busy connection at the maximum duration', async () => {
    const client = await openClient(gateway, recorder, {});
    const opened = Date.now();
    const keepAlive = setInterval(() => send(client, { action: 'ping' }), 100);

    const closed = await client.closed;
    clearInterval(keepAlive);
    const elapsed = Date.now() - opened;

    expect(closed.code).toBe(1001);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    await eventually(() => recorder.forConnection('disconnect', client.connectionId)[0]);
  });
});

describe('gateway close()', () => {
  it('closes every socket with 1001, fires $disconnect for each and stops listening', async () => {
    const recorder = createRecorder();
    const gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes: [
        { routeKey: '$connect', function: 'connect', replies: false },
        { routeKey: '$disconnect', function: 'disconnect', replies: false },
      ],
      functions: asFunctions({
        connect: async (event) => {
          recorder.record('connect', event);
          return { statusCode: 200 };
        },
        disconnect: async (event) => {
          await delay(50);
          recorder.record('disconnect', event);
        },
      }),
      limits: LIMITS_FOR_TESTS,
      log: () => {},
    });
    const clients = [await openClient(gateway, recorder, {}), await openClient(gateway, recorder, {})];
    expect(gateway.connectionCount()).toBe(2);

    await gateway.close();

    const codes = await Promise.all(clients.map(async (client) => (await client.closed).code));
    expect(codes).toEqual([1001, 1001]);
    // close() waited for both $disconnect invocations, though each takes 50 ms.
    expect(recorder.of('disconnect')).toHaveLength(2);
    expect(gateway.connectionCount()).toBe(0);
    await expect(fetch(gateway.httpUrl)).rejects.toThrow();
  });
});

describe('gateway with IAM, throttling and quotas', () => {
  const recorder = createRecorder();
  const logs: string[] = [];
  let gateway: Gateway;
  const KEYS: Record<string, string> = { poster: 'poster-secret', invoker: 'invoker-secret' };

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes: [
        { routeKey: '$connect', function: 'connect', replies: false },
        { routeKey: '$disconnect', function: 'disconnect', replies: false },
        { routeKey: 'echo', function: 'echo', replies: true },
      ],
      authorizer: { function: 'authorizer', tokenQueryParameter: 'token' },
      functions: asFunctions({
        authorizer: async (event) => ({
          principalId: 'someone',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: field(event, 'methodArn') },
            ],
          },
          // Over the 8 KB quota on an authorizer's result when the token asks for it.
          context: {
            padding: field(event, 'queryStringParameters', 'token') === 'big' ? 'b'.repeat(8200) : '',
          },
        }),
        connect: async (event) => {
          recorder.record('connect', event);
          return { statusCode: 200 };
        },
        disconnect: async (event) => {
          recorder.record('disconnect', event);
          return { statusCode: 200 };
        },
        echo: async () => ({ statusCode: 200, body: 'echoed' }),
        target: async () => 'ran',
      }),
      access: {
        secretFor: (accessKeyId) => KEYS[accessKeyId],
        authorize: (accessKeyId, call) => {
          const allowed =
            (accessKeyId === 'poster' && call.service === 'execute-api' && call.method === 'POST') ||
            (accessKeyId === 'invoker' && call.service === 'lambda' && call.functionName === 'target');
          return allowed
            ? undefined
            : { statusCode: 403, errorType: 'AccessDeniedException', message: 'denied' };
        },
      },
      throttle: { rateLimit: 1, burstLimit: 2 },
      loseDisconnects: true,
      limits: LIMITS_FOR_TESTS,
      log: (line) => logs.push(line),
    });
  });

  afterAll(async () => {
    await gateway.close();
  });

  const managementAs = (accessKeyId: string, secretAccessKey: string) =>
    new ApiGatewayManagementApiClient({
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey },
      endpoint: gateway.connectionsEndpoint,
    });

  async function failureOf(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('checks signatures and grants of @connections and Lambda calls', async () => {
    const client = await openClient(gateway, recorder, { token: 'a' });
    const poster = managementAs('poster', 'poster-secret');
    const forger = managementAs('poster', 'wrong-secret');
    const stranger = managementAs('stranger', 'whatever');
    const lambda = new LambdaClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'invoker', secretAccessKey: 'invoker-secret' },
      endpoint: gateway.lambdaEndpoint,
    });
    const connection = { ConnectionId: client.connectionId };

    await poster.send(new PostToConnectionCommand({ ...connection, Data: 'signed' }));
    const forged = await failureOf(forger.send(new PostToConnectionCommand({ ...connection, Data: 'x' })));
    const unknown = await failureOf(stranger.send(new PostToConnectionCommand({ ...connection, Data: 'x' })));
    const notGranted = await failureOf(poster.send(new GetConnectionCommand(connection)));
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'target', Payload: '{}' }));
    const invokeDenied = await failureOf(
      lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{}' })),
    );

    expect((await client.next()).text).toBe('signed');
    expect(field(forged, 'name')).toBe('InvalidSignatureException');
    expect(field(unknown, 'name')).toBe('UnrecognizedClientException');
    expect(field(notGranted, 'name')).toBe('AccessDeniedException');
    expect(field(notGranted, '$metadata', 'httpStatusCode')).toBe(403);
    expect(JSON.parse(invoked.Payload?.transformToString() ?? '')).toBe('ran');
    expect(field(invokeDenied, 'name')).toBe('AccessDeniedException');
    expect(client.pending()).toBe(0);
    for (const sdk of [poster, forger, stranger, lambda]) sdk.destroy();
    await closeClient(client);
  });

  it('answers Too Many Requests to messages over the stage throttle, and keeps the socket open', async () => {
    const client = await openClient(gateway, recorder, { token: 'b' });

    for (let i = 0; i < 4; i += 1) send(client, { action: 'echo' });
    const texts: string[] = [];
    for (let i = 0; i < 4; i += 1) texts.push((await client.next()).text);

    const refused = texts.filter((text) => text !== 'echoed').map((text) => JSON.parse(text));
    expect(texts.filter((text) => text === 'echoed').length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const frame of refused) {
      expect(frame).toEqual({
        message: 'Too Many Requests',
        connectionId: client.connectionId,
        requestId: expect.any(String),
      });
    }
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    await closeClient(client);
  });

  it('refuses a connection whose authorizer result is over 8 KB with 500', async () => {
    const refused = await refusedUpgrade(`${gateway.wsUrl}?token=big`);

    expect(refused.status).toBe(500);
    expect(logs.some((line) => line.includes('over the 8192-byte quota'))).toBe(true);
  });

  it('can lose $disconnect, as API Gateway may', async () => {
    const client = await openClient(gateway, recorder, { token: 'd' });

    await closeClient(client);

    await eventually(() => logs.find((line) => line.includes(`$disconnect for ${client.connectionId} lost`)));
    expect(recorder.forConnection('disconnect', client.connectionId)).toEqual([]);
  });
});

describe('gateway with a quota of new connections', () => {
  it('refuses new connections over the per-second quota with 429', async () => {
    const gateway = await startGateway({
      port: 0,
      stage: STAGE,
      routes: [{ routeKey: '$connect', function: 'connect', replies: false }],
      functions: asFunctions({ connect: async () => ({ statusCode: 200 }) }),
      connectRateLimit: 1,
      limits: LIMITS_FOR_TESTS,
      log: () => {},
    });

    const results = await Promise.all(
      Array.from({ length: 4 }, () => refusedUpgrade(gateway.wsUrl).catch(() => undefined)),
    );

    expect(results.filter((result) => result?.status === 429).length).toBeGreaterThanOrEqual(1);
    await gateway.close();
  });
});
