import * as z from 'zod/mini';
import { ENV } from '../../contract/environment';
import { CLIENT_ID_PATTERN, connectionDeviceId } from '../../contract/protocol/ids';
import { AUTHORIZER } from '../../contract/routes';
import { logger } from '../adapters/observability/telemetry';
import { createTokenVerifier } from '../adapters/tokens/verifier';
import { requireEnv } from './wiring/config';
import { correlate, invocation } from './wiring/invocation';

const verify = createTokenVerifier({
  issuer: requireEnv(ENV.jwtIssuer),
  audience: requireEnv(ENV.jwtAudience),
  jwksUrl: requireEnv(ENV.jwksUrl),
});

const deviceIdSchema = z.string().check(z.regex(CLIENT_ID_PATTERN));

const authorizerEvent = z.object({
  methodArn: z.string(),
  queryStringParameters: z.nullish(z.record(z.string(), z.string())),
  requestContext: z.object({ connectionId: z.string() }),
});

function policy(
  principalId: string,
  effect: 'Allow' | 'Deny',
  resource: string,
  context: Record<string, string | number>,
) {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context,
  };
}

const UNAUTHORIZED = 'Unauthorized';

/** Logs why a connection is refused: the reason and the connection, never the token. */
function refuse(reason: string): void {
  logger.info('connection refused', { reason });
}

/**
 * REQUEST authorizer on $connect. Throwing "Unauthorized" is how API Gateway answers 401; a Deny
 * policy answers 403. The context it returns reaches every later route of the connection (API Gateway
 * passes its values as strings): the user id, the device id, and the token's expiry and issue time,
 * so that the routes can end the connection with its token.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
 */
export const handler = invocation(
  'authorizer',
  async (rawEvent) => {
    const event = authorizerEvent.parse(rawEvent);
    correlate({ connectionId: event.requestContext.connectionId, route: '$connect' });
    const query = event.queryStringParameters ?? {};
    const token = query[AUTHORIZER.tokenQueryParameter];
    if (!token) {
      refuse('no token');
      throw new Error(UNAUTHORIZED);
    }
    const check = await verify(token);
    if (!check.ok) {
      refuse(
        check.reason === 'invalid'
          ? 'token invalid, expired or for another client'
          : 'user name is not a valid user id',
      );
      if (check.reason === 'invalid') throw new Error(UNAUTHORIZED);
      return policy('anonymous', 'Deny', event.methodArn, {});
    }
    correlate({ userId: check.userId });
    // A client that names no device gets one per connection: it then has no cursor across reconnects.
    const device = deviceIdSchema.safeParse(query.deviceId);
    const deviceId = device.success ? device.data : connectionDeviceId(event.requestContext.connectionId);
    if (query.deviceId !== undefined && !device.success) {
      refuse('malformed deviceId');
      return policy(check.userId, 'Deny', event.methodArn, {});
    }
    correlate({ deviceId });
    logger.info('connection authorized');
    return policy(check.userId, 'Allow', event.methodArn, {
      userId: check.userId,
      deviceId,
      tokenExpiresAt: check.expiresAt,
      tokenIssuedAt: check.issuedAt,
    });
  },
  { expected: (error) => error instanceof Error && error.message === UNAUTHORIZED },
);
