import type { IncomingMessage, ServerResponse } from 'node:http';
import { denialOf } from './access';
import type { ConnectionFacts } from './events';
import { readBody, sendAwsError, sendEmpty, sendJson } from './http';
import type { ServiceAccess } from './types';

/** A connection the management API can reach: $connect has returned and the socket is open. */
export interface OpenConnection {
  readonly facts: ConnectionFacts;
  lastActiveAt(): number;
  /**
   * Resolves false if the socket went away before the data was written. A message over the outgoing
   * limit is not delivered (and reported); the caller is told it was, as API Gateway does not say.
   */
  post(data: Buffer, source: 'route response' | '@connections'): Promise<boolean>;
  /** Closes the socket from the server side; $disconnect follows. */
  disconnect(): void;
}

export interface ConnectionsApiDeps {
  lookup(connectionId: string): OpenConnection | undefined;
  maxPayloadBytes: number;
  apiId: string;
  stage: string;
  access: ServiceAccess | undefined;
}

const METHODS = ['POST', 'GET', 'DELETE'] as const;
const isMethod = (method: string | undefined): method is (typeof METHODS)[number] =>
  METHODS.some((known) => known === method);

function gone(res: ServerResponse, connectionId: string): void {
  sendAwsError(res, 410, 'GoneException', { message: `Connection ${connectionId} is gone` });
}

/** `POST|GET|DELETE /<stage>/@connections/<connectionId>`, answered like API Gateway's management API. */
export async function handleConnectionsRequest(
  req: IncomingMessage,
  res: ServerResponse,
  connectionId: string,
  deps: ConnectionsApiDeps,
): Promise<void> {
  const method = req.method;
  if (!isMethod(method)) {
    sendAwsError(res, 403, 'ForbiddenException', { message: 'Forbidden' });
    return;
  }
  const body = await readBody(req, deps.maxPayloadBytes);
  if (body.tooLarge) {
    sendAwsError(res, 413, 'PayloadTooLargeException', {
      message: `Message payload is larger than ${deps.maxPayloadBytes} bytes`,
    });
    return;
  }
  const call = {
    service: 'execute-api',
    method,
    apiId: deps.apiId,
    stage: deps.stage,
    connectionId,
  } as const;
  const denial = await denialOf(req, body.bytes, call, deps.access);
  if (denial !== undefined) {
    sendAwsError(res, denial.statusCode, denial.errorType, { message: denial.message });
    return;
  }
  switch (method) {
    case 'POST': {
      const connection = deps.lookup(connectionId);
      if (connection === undefined || !(await connection.post(body.bytes, '@connections'))) {
        gone(res, connectionId);
        return;
      }
      sendEmpty(res, 200);
      return;
    }
    case 'GET': {
      const connection = deps.lookup(connectionId);
      if (connection === undefined) {
        gone(res, connectionId);
        return;
      }
      // The SDK reads these jsonNames and parses the timestamps as ISO 8601 date-time strings.
      sendJson(res, 200, {
        connectedAt: new Date(connection.facts.connectedAt).toISOString(),
        identity: { sourceIp: connection.facts.sourceIp, userAgent: connection.facts.userAgent },
        lastActiveAt: new Date(connection.lastActiveAt()).toISOString(),
      });
      return;
    }
    case 'DELETE': {
      const connection = deps.lookup(connectionId);
      if (connection === undefined) {
        gone(res, connectionId);
        return;
      }
      connection.disconnect();
      sendEmpty(res, 204);
      return;
    }
  }
}
