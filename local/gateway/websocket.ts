import { isUtf8 } from 'node:buffer';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type AuthorizerResponse, evaluateAuthorizerResult, rejectionFromError } from './authorizer';
import type { OpenConnection } from './connections-api';
import {
  authorizerEvent,
  type ConnectionFacts,
  connectEvent,
  disconnectEvent,
  messageEvent,
  type RequestParameters,
  requestParameters,
} from './events';
import { gatewayId } from './ids';
import { describeError, isRecord, type LambdaRuntime } from './lambda-runtime';
import { createTokenBucket } from './token-bucket';
import type { GatewayEvent, GatewayLimits, GatewayRoute, Throttle } from './types';

const CONNECT = '$connect';
const DISCONNECT = '$disconnect';
const DEFAULT = '$default';

/** An integration API Gateway stopped waiting for. */
class IntegrationTimeout extends Error {
  constructor() {
    super('Endpoint request timed out');
  }
}

/** How long close() lets a client answer a close frame before the socket is cut. */
const SHUTDOWN_GRACE_MS = 1000;

export interface WebSocketStageOptions {
  stage: string;
  routes: readonly GatewayRoute[];
  authorizer: { function: string; tokenQueryParameter: string } | undefined;
  limits: GatewayLimits;
  runtime: LambdaRuntime;
  log: (line: string) => void;
  onEvent?: (event: GatewayEvent) => void;
  throttle?: Throttle;
  connectRateLimit?: number;
  loseDisconnects?: boolean;
}

export interface WebSocketStage {
  /** Takes over an HTTP upgrade request for the stage path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** An open connection, or undefined while $connect runs and once the socket is closing. */
  lookup(connectionId: string): OpenConnection | undefined;
  count(): number;
  /** Refuses new upgrades, lets running ones finish, then closes every socket with 1001. */
  close(): Promise<void>;
}

interface LiveConnection extends OpenConnection {
  readonly socket: WebSocket;
  closeFromServer(code: number, disconnectReason: string): void;
  /** Resolves when the socket is gone ($disconnect has been started). */
  readonly socketClosed: Promise<void>;
}

type ConnectResponse = { statusCode: number; protocol: string | undefined };

function rejectUpgrade(socket: Duplex, statusCode: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}

function messageForStatus(statusCode: number): string {
  if (statusCode === 401) return 'Unauthorized';
  if (statusCode === 403) return 'Forbidden';
  if (statusCode >= 500) return 'Internal server error';
  return STATUS_CODES[statusCode] ?? 'Error';
}

/** The checks `ws` makes before upgrading, made before $connect runs so that it never runs for nothing. */
function isWebSocketHandshake(req: IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key) &&
    (version === '13' || version === '8')
  );
}

/** Lambda proxy response of $connect: a missing statusCode counts as 200, as API Gateway treats it. */
function connectResponse(result: unknown): ConnectResponse {
  if (!isRecord(result)) return { statusCode: 200, protocol: undefined };
  const statusCode = result.statusCode ?? 200;
  if (typeof statusCode !== 'number') return { statusCode: 500, protocol: undefined };
  let protocol: string | undefined;
  if (isRecord(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      if (name.toLowerCase() === 'sec-websocket-protocol' && typeof value === 'string') protocol = value;
    }
  }
  return { statusCode, protocol };
}

/** A route response is the function's `body` (Lambda proxy) or a plain string result. */
function routeResponseBody(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  if (isRecord(result) && typeof result.body === 'string') return result.body;
  return undefined;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function createWebSocketStage(options: WebSocketStageOptions): WebSocketStage {
  const { stage, limits, runtime, log } = options;
  const routes = new Map(options.routes.map((route) => [route.routeKey, route]));
  const open = new Map<string, LiveConnection>();
  const pendingUpgrades = new Set<Promise<void>>();
  const chosenProtocols = new WeakMap<IncomingMessage, string>();
  let closing = false;
  const throttle =
    options.throttle === undefined
      ? undefined
      : createTokenBucket(options.throttle.rateLimit, options.throttle.burstLimit);
  const connectRate =
    options.connectRateLimit === undefined
      ? undefined
      : createTokenBucket(options.connectRateLimit, options.connectRateLimit);

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // ws closes the socket with 1009 when a frame (or a message) exceeds this. API Gateway's limit is
    // 32 KB per frame and 128 KB per fragmented message; browsers and ws never fragment, so one limit
    // of 32 KB is what such clients meet on AWS (a fragmented message over 32 KB is refused locally).
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    maxPayload: limits.maxFrameBytes,
    // A browser offering subprotocols needs one echoed; API Gateway echoes what $connect returns.
    handleProtocols: (_protocols, req) => chosenProtocols.get(req) ?? false,
  });

  /** Selects a route as `$request.body.action` does; `$` keys cannot be selected by a client. */
  function selectRoute(body: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return DEFAULT;
    }
    if (isRecord(parsed) && typeof parsed.action === 'string' && !parsed.action.startsWith('$')) {
      if (routes.has(parsed.action)) return parsed.action;
    }
    return DEFAULT;
  }

  async function authorize(
    authorizer: { function: string; tokenQueryParameter: string },
    facts: ConnectionFacts,
    params: RequestParameters,
  ): Promise<AuthorizerResponse> {
    const token = params.queryStringParameters?.[authorizer.tokenQueryParameter];
    // API Gateway answers 401 without invoking the authorizer when the identity source is missing.
    if (token === undefined || token === '') {
      return { outcome: 'reject', statusCode: 401, reason: 'identity source (token) missing' };
    }
    const event = authorizerEvent(facts, params, CONNECT);
    const started = Date.now();
    let result: unknown;
    try {
      result = await integration(authorizer.function, event);
    } catch (error) {
      return rejectionFromError(error);
    }
    return evaluateAuthorizerResult(result, event.methodArn, Date.now() - started);
  }

  async function runConnect(facts: ConnectionFacts, params: RequestParameters): Promise<ConnectResponse> {
    const route = routes.get(CONNECT);
    if (route === undefined) return { statusCode: 200, protocol: undefined };
    try {
      const result = await integration(route.function, connectEvent(facts, params, route.routeKey));
      return connectResponse(result);
    } catch (error) {
      log(
        `[gateway] ${CONNECT} (${route.function}) failed for ${facts.connectionId}: ${describeError(error)}`,
      );
      // A failed Lambda integration on $connect answers the upgrade 502 Bad Gateway.
      return { statusCode: 502, protocol: undefined };
    }
  }

  async function runDisconnect(facts: ConnectionFacts, code: number, reason: string): Promise<void> {
    const route = routes.get(DISCONNECT);
    if (route === undefined) return;
    if (options.loseDisconnects) {
      log(`[gateway] ${DISCONNECT} for ${facts.connectionId} lost (loseDisconnects)`);
      return;
    }
    try {
      await integration(route.function, disconnectEvent(facts, route.routeKey, code, reason));
    } catch (error) {
      log(
        `[gateway] ${DISCONNECT} (${route.function}) failed for ${facts.connectionId}: ${describeError(error)}`,
      );
    }
  }

  /**
   * Invokes a function as an integration: API Gateway stops waiting after its integration timeout
   * (29 s), whatever the function's own timeout.
   */
  function integration(functionName: string, event: unknown): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeout()), limits.integrationTimeoutMs);
    });
    return Promise.race([runtime.invoke(functionName, event), gaveUp]).finally(() => clearTimeout(timer));
  }

  function dispatch(connection: LiveConnection, data: RawData, isBinary: boolean): void {
    const bytes = toBuffer(data);
    options.onEvent?.({
      type: 'frame',
      direction: 'in',
      connectionId: connection.facts.connectionId,
      bytes: bytes.length,
    });
    // API Gateway takes only text frames: a binary frame closes the connection with 1003.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html
    if (isBinary) {
      connection.closeFromServer(1003, 'Binary frames are not supported');
      return;
    }
    const body = bytes.toString('utf8');
    const routeKey = selectRoute(body);
    const event = messageEvent(connection.facts, routeKey, body, false);
    const { connectionId, requestId } = event.requestContext;
    const answer = (message: string) =>
      void connection.post(
        Buffer.from(JSON.stringify({ message, connectionId, requestId })),
        'route response',
      );
    const route = routes.get(routeKey);
    if (route === undefined) {
      answer('Forbidden');
      return;
    }
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-protect.html
    if (throttle !== undefined && !throttle.take()) {
      answer('Too Many Requests');
      return;
    }
    integration(route.function, event).then(
      (result) => {
        const response = route.replies ? routeResponseBody(result) : undefined;
        if (response !== undefined) void connection.post(Buffer.from(response), 'route response');
      },
      (error: unknown) => {
        log(`[gateway] ${routeKey} (${route.function}) failed for ${connectionId}: ${describeError(error)}`);
        answer(error instanceof IntegrationTimeout ? 'Endpoint request timed out' : 'Internal server error');
      },
    );
  }

  function establish(facts: ConnectionFacts, socket: WebSocket): void {
    let lastActiveAt = Date.now();
    let serverClose: { code: number; reason: string } | undefined;
    let markClosed: () => void = () => {};
    const socketClosed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });

    const closeFromServer = (code: number, disconnectReason: string) => {
      if (serverClose !== undefined || socket.readyState !== WebSocket.OPEN) return;
      serverClose = { code, reason: disconnectReason };
      socket.close(code, code === 1001 ? 'Going away' : disconnectReason);
    };
    const idleTimer = setTimeout(() => closeFromServer(1001, 'Going away'), limits.idleTimeoutMs);
    const lifetimeTimer = setTimeout(() => closeFromServer(1001, 'Going away'), limits.maxConnectionMs);
    const touch = () => {
      lastActiveAt = Date.now();
      idleTimer.refresh();
    };

    const connection: LiveConnection = {
      facts,
      socket,
      socketClosed,
      closeFromServer,
      lastActiveAt: () => lastActiveAt,
      post(data, source) {
        if (socket.readyState !== WebSocket.OPEN) return Promise.resolve(false);
        if (data.length > limits.maxMessageBytes) {
          // API Gateway does not deliver a message over 128 KB. The @connections API refuses one with
          // 413 before it gets here; a route response that large is dropped and reported.
          log(
            `[gateway] ${source} of ${data.length} bytes to ${facts.connectionId} is over ${limits.maxMessageBytes} bytes: not delivered`,
          );
          options.onEvent?.({
            type: 'oversize',
            connectionId: facts.connectionId,
            bytes: data.length,
            source,
          });
          return Promise.resolve(true);
        }
        touch();
        options.onEvent?.({
          type: 'frame',
          direction: 'out',
          connectionId: facts.connectionId,
          bytes: data.length,
        });
        // API Gateway delivers posted bytes as a text frame; bytes that are not UTF-8 go as binary.
        return new Promise((resolve) => {
          socket.send(data, { binary: !isUtf8(data) }, (error) =>
            resolve(error === undefined || error === null),
          );
        });
      },
      disconnect: () => closeFromServer(1000, 'Connection Closed Normally'),
    };

    socket.on('message', (data, isBinary) => {
      touch();
      dispatch(connection, data, isBinary);
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        serverClose ??= { code: 1009, reason: 'Message Too Big' };
      log(`[gateway] socket error on ${facts.connectionId}: ${error.message}`);
    });
    socket.once('close', (code, reason) => {
      clearTimeout(idleTimer);
      clearTimeout(lifetimeTimer);
      open.delete(facts.connectionId);
      const { code: disconnectStatusCode, reason: disconnectReason } = serverClose ?? {
        code,
        reason: reason.toString('utf8'),
      };
      log(
        `[gateway] disconnected ${facts.connectionId} (${disconnectStatusCode} ${disconnectReason})`.trimEnd(),
      );
      void runDisconnect(facts, disconnectStatusCode, disconnectReason);
      markClosed();
    });
    open.set(facts.connectionId, connection);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws takes the socket over, nothing else listens for its errors (a client that resets).
    const onSocketError = (error: Error) => log(`[gateway] upgrade socket error: ${error.message}`);
    socket.on('error', onSocketError);
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) {
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    if (!isWebSocketHandshake(req)) return rejectUpgrade(socket, 400, 'Bad Request');
    // The account's quota of new connections per second: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    if (connectRate !== undefined && !connectRate.take())
      return rejectUpgrade(socket, 429, 'Too Many Requests');

    const facts: ConnectionFacts = {
      connectionId: gatewayId(),
      connectedAt: Date.now(),
      stage,
      domainName: req.headers.host ?? 'localhost',
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: req.headers['user-agent'] ?? '',
      authorizer: undefined,
    };
    const params = requestParameters(req, facts.sourceIp);

    if (options.authorizer !== undefined) {
      const authorization = await authorize(options.authorizer, facts, params);
      if (authorization.outcome === 'reject') {
        log(`[gateway] upgrade refused with ${authorization.statusCode}: ${authorization.reason}`);
        return rejectUpgrade(socket, authorization.statusCode, messageForStatus(authorization.statusCode));
      }
      facts.authorizer = authorization.authorizer;
    }

    const response = await runConnect(facts, params);
    if (response.statusCode < 200 || response.statusCode > 299) {
      log(`[gateway] upgrade refused: ${CONNECT} answered ${response.statusCode}`);
      return rejectUpgrade(socket, response.statusCode, messageForStatus(response.statusCode));
    }
    if (response.protocol !== undefined) chosenProtocols.set(req, response.protocol);

    let established = false;
    // ws completes the upgrade synchronously, or drops a socket the client already closed.
    wss.handleUpgrade(req, socket, head, (ws) => {
      established = true;
      socket.off('error', onSocketError);
      establish(facts, ws);
      log(`[gateway] connected ${facts.connectionId}`);
    });
    if (!established) {
      // $connect succeeded, so the backend may hold state for this connection: tell it it is gone.
      log(`[gateway] ${facts.connectionId} went away during ${CONNECT}`);
      await runDisconnect(facts, 1006, 'Client went away during $connect');
    }
  }

  return {
    handleUpgrade(req, socket, head) {
      const work = upgrade(req, socket, head).catch((error: unknown) => {
        log(`[gateway] upgrade failed: ${describeError(error)}`);
        if (!socket.destroyed) rejectUpgrade(socket, 500, 'Internal server error');
      });
      pendingUpgrades.add(work);
      void work.then(() => pendingUpgrades.delete(work));
    },
    lookup(connectionId) {
      const connection = open.get(connectionId);
      return connection?.socket.readyState === WebSocket.OPEN ? connection : undefined;
    },
    count: () =>
      [...open.values()].filter((connection) => connection.socket.readyState === WebSocket.OPEN).length,
    async close() {
      closing = true;
      while (pendingUpgrades.size > 0) await Promise.all(pendingUpgrades);
      const connections = [...open.values()];
      await Promise.all(
        connections.map(async (connection) => {
          connection.closeFromServer(1001, 'Going away');
          const cut = setTimeout(() => connection.socket.terminate(), SHUTDOWN_GRACE_MS);
          await connection.socketClosed;
          clearTimeout(cut);
        }),
      );
    },
  };
}
