import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { gatewayId, requestTime } from './ids';
import { ACCOUNT_ID, REGION } from './lambda-runtime';

/** API Gateway's id of this API, as it appears in events and ARNs. */
export const API_ID = 'localapi';

export type AuthorizerValue = string | number | boolean;
/**
 * What routes see as `requestContext.authorizer`: the authorizer's context with every value a string,
 * plus principalId and integrationLatency (a number).
 */
export type AuthorizerContext = Record<string, string | number>;

/** What API Gateway knows of a connection from its upgrade request onwards. */
export interface ConnectionFacts {
  connectionId: string;
  connectedAt: number;
  stage: string;
  domainName: string;
  sourceIp: string;
  userAgent: string;
  authorizer: AuthorizerContext | undefined;
}

export interface RequestParameters {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  /** Absent when the URL has no query string, as in API Gateway's events. */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
}

export type EventType = 'CONNECT' | 'MESSAGE' | 'DISCONNECT';

export interface RequestContext {
  routeKey: string;
  eventType: EventType;
  messageId?: string;
  connectionId: string;
  requestId: string;
  extendedRequestId: string;
  requestTime: string;
  requestTimeEpoch: number;
  stage: string;
  domainName: string;
  apiId: string;
  connectedAt: number;
  messageDirection: 'IN';
  identity: { sourceIp: string; userAgent: string };
  authorizer?: AuthorizerContext;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface ConnectEvent extends RequestParameters {
  requestContext: RequestContext;
  isBase64Encoded: false;
}

export interface AuthorizerEvent extends RequestParameters {
  type: 'REQUEST';
  methodArn: string;
  stageVariables: Record<string, string>;
  requestContext: RequestContext;
}

export interface MessageEvent {
  requestContext: RequestContext;
  body: string;
  isBase64Encoded: boolean;
}

export interface DisconnectEvent {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  requestContext: RequestContext;
  isBase64Encoded: false;
}

/**
 * Headers keep the client's spelling (API Gateway does not lower-case them); the last value wins.
 * API Gateway adds the forwarding headers and a trace id of its own, as a load balancer would.
 */
export function requestParameters(req: IncomingMessage, sourceIp: string): RequestParameters {
  const multiValueHeaders: Record<string, string[]> = {
    'X-Amzn-Trace-Id': [traceId()],
    'X-Forwarded-For': [sourceIp],
    'X-Forwarded-Port': [String(req.socket.localPort ?? '')],
    // Locally the socket is plain ws; on AWS it is always wss.
    'X-Forwarded-Proto': ['encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'],
  };
  const spelling = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    multiValueHeaders[key] = [...(multiValueHeaders[key] ?? []), value];
  }
  const params: RequestParameters = { headers: lastValues(multiValueHeaders), multiValueHeaders };

  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of query) multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  if (Object.keys(multiValueQuery).length > 0) {
    params.queryStringParameters = lastValues(multiValueQuery);
    params.multiValueQueryStringParameters = multiValueQuery;
  }
  return params;
}

/** `Root=1-<epoch seconds, hex>-<96 random bits, hex>`, as X-Ray writes trace ids. */
function traceId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function lastValues(multi: Record<string, string[]>): Record<string, string> {
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) {
    const last = values.at(-1);
    if (last !== undefined) single[name] = last;
  }
  return single;
}

function requestContext(
  connection: ConnectionFacts,
  routeKey: string,
  eventType: EventType,
  withAuthorizer: boolean,
): RequestContext {
  const now = Date.now();
  const requestId = gatewayId();
  const context: RequestContext = {
    routeKey,
    eventType,
    connectionId: connection.connectionId,
    requestId,
    extendedRequestId: requestId,
    requestTime: requestTime(now),
    requestTimeEpoch: now,
    stage: connection.stage,
    domainName: connection.domainName,
    apiId: API_ID,
    connectedAt: connection.connectedAt,
    messageDirection: 'IN',
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
  };
  if (withAuthorizer && connection.authorizer !== undefined)
    context.authorizer = { ...connection.authorizer };
  return context;
}

export function methodArn(stage: string, routeKey: string): string {
  return `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/${stage}/${routeKey}`;
}

export function authorizerEvent(
  connection: ConnectionFacts,
  params: RequestParameters,
  connectRouteKey: string,
): AuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: methodArn(connection.stage, connectRouteKey),
    ...structuredClone(params),
    stageVariables: {},
    requestContext: requestContext(connection, connectRouteKey, 'CONNECT', false),
  };
}

export function connectEvent(
  connection: ConnectionFacts,
  params: RequestParameters,
  routeKey: string,
): ConnectEvent {
  return {
    ...structuredClone(params),
    requestContext: requestContext(connection, routeKey, 'CONNECT', true),
    isBase64Encoded: false,
  };
}

export function messageEvent(
  connection: ConnectionFacts,
  routeKey: string,
  body: string,
  isBase64Encoded: boolean,
): MessageEvent {
  const context = requestContext(connection, routeKey, 'MESSAGE', true);
  context.messageId = gatewayId();
  return { requestContext: context, body, isBase64Encoded };
}

export function disconnectEvent(
  connection: ConnectionFacts,
  routeKey: string,
  statusCode: number,
  reason: string,
): DisconnectEvent {
  const context = requestContext(connection, routeKey, 'DISCONNECT', true);
  context.disconnectStatusCode = statusCode;
  context.disconnectReason = reason;
  return {
    headers: { Host: connection.domainName },
    multiValueHeaders: { Host: [connection.domainName] },
    requestContext: context,
    isBase64Encoded: false,
  };
}
