import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionFacts } from './events';
import { readBody, sendAwsError, sendEmpty, sendJson } from './http';

/** A connection the management API can reach: $connect has returned and the socket is open. */
export interface OpenConnection {
  readonly facts: ConnectionFacts;
  lastActiveAt(): number;
  /** Resolves false if the socket went away before the data was written. */
  post(data: Buffer): Promise<boolean>;
  /** Closes the socket from the server side; $disconnect follows. */
  disconnect(): void;
}

export interface ConnectionsApiDeps {
  lookup(connectionId: string): OpenConnection | undefined;
  maxPayloadBytes: number;
}

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
  // Signatures are not checked locally: any Authorization header (or none) is accepted.
  switch (req.method) {
    case 'POST': {
      const body = await readBody(req, deps.maxPayloadBytes);
      if (body.tooLarge) {
        sendAwsError(res, 413, 'PayloadTooLargeException', {
          message: `Message payload is larger than ${deps.maxPayloadBytes} bytes`,
        });
        return;
      }
      const connection = deps.lookup(connectionId);
      if (connection === undefined || !(await connection.post(body.bytes))) {
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
    default:
      sendAwsError(res, 403, 'ForbiddenException', { message: 'Forbidden' });
  }
}
