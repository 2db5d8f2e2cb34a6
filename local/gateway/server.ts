import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createAsyncInvoker } from './async-invocations';
import { handleConnectionsRequest } from './connections-api';
import { API_ID } from './events';
import { sendJson } from './http';
import { handleInvokeRequest } from './lambda-api';
import { createLambdaRuntime, describeError } from './lambda-runtime';
import type { Gateway, GatewayOptions } from './types';
import { createWebSocketStage } from './websocket';

export type {
  Gateway,
  GatewayEvent,
  GatewayLimits,
  GatewayOptions,
  GatewayRoute,
  LambdaContext,
  LambdaHandler,
  LocalFunction,
} from './types';

/** Path segments, percent-decoded one by one so that an encoded '/' or '@' cannot shift them. */
function pathSegments(url: string | undefined): string[] | undefined {
  const pathname = new URL(url ?? '/', 'http://localhost').pathname;
  try {
    return pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string')
        reject(new Error('Gateway: server has no TCP address'));
      else resolve(address.port);
    });
  });
}

/**
 * Emulates one stage of an API Gateway WebSocket API with Lambda proxy integrations on one HTTP port:
 * WebSocket upgrades on `/<stage>`, the `@connections` management API under `/<stage>/@connections/`,
 * the Lambda Invoke API, and `httpFallback` for everything else.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.log(line));
  const runtime = createLambdaRuntime(options.functions, options.onEvent);
  const async = createAsyncInvoker(runtime, options.asyncInvocations ?? {}, log);
  const stage = createWebSocketStage({
    stage: options.stage,
    routes: options.routes,
    authorizer: options.authorizer,
    limits: options.limits,
    runtime,
    log,
    ...(options.onEvent && { onEvent: options.onEvent }),
    ...(options.throttle && { throttle: options.throttle }),
    ...(options.connectRateLimit !== undefined && { connectRateLimit: options.connectRateLimit }),
    ...(options.loseDisconnects && { loseDisconnects: true }),
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const segments = pathSegments(req.url);
    if (segments === undefined) {
      sendJson(res, 400, { message: 'Malformed URL' });
      return;
    }
    const [first, second, third, ...rest] = segments;
    if (first === options.stage && second === '@connections' && third !== undefined && rest.length === 0) {
      await handleConnectionsRequest(req, res, third, {
        lookup: (connectionId) => stage.lookup(connectionId),
        maxPayloadBytes: options.limits.maxMessageBytes,
        apiId: API_ID,
        stage: options.stage,
        access: options.access,
      });
      options.onEvent?.({ type: 'connections', method: req.method ?? '', statusCode: res.statusCode });
      return;
    }
    const isInvoke =
      first === '2015-03-31' && second === 'functions' && rest.length === 1 && rest[0] === 'invocations';
    if (req.method === 'POST' && isInvoke && third !== undefined) {
      await handleInvokeRequest(req, res, third, {
        runtime,
        async,
        access: options.access,
        log,
      });
      return;
    }
    if (options.httpFallback !== undefined && (await options.httpFallback(req, res))) return;
    sendJson(res, 404, { message: 'Not Found' });
  }

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      log(`[gateway] ${req.method} ${req.url} failed: ${describeError(error)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { message: 'Internal server error' });
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) =>
    stage.handleUpgrade(req, socket, head),
  );

  const port = await listen(server, options.port, host);
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const httpUrl = `http://${authority}`;
  log(`[gateway] listening on ${httpUrl} (WebSocket ws://${authority}/${options.stage})`);

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    await stage.close();
    async.stop();
    await runtime.drain();
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  }

  return {
    port,
    wsUrl: `ws://${authority}/${options.stage}`,
    httpUrl,
    connectionsEndpoint: `${httpUrl}/${options.stage}`,
    lambdaEndpoint: httpUrl,
    close() {
      closed ??= shutdown();
      return closed;
    },
    connectionCount: () => stage.count(),
    invoke: (functionName, event) => runtime.invoke(functionName, event),
    instanceCount: (functionName) => runtime.instanceCount(functionName),
  };
}
