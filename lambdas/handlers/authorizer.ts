import * as z from 'zod/mini';
import { ENV } from '../../contract/environment';
import { CLIENT_ID_PATTERN } from '../../contract/protocol/ids';
import { AUTHORIZER } from '../../contract/routes';
import { createTokenVerifier } from '../adapters/tokens/verifier';
import { requireEnv } from './wiring/config';

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
  context: Record<string, string>,
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

/**
 * REQUEST authorizer on $connect. Throwing "Unauthorized" is how API Gateway answers 401; a Deny
 * policy answers 403. The user id and device id it returns reach every later route of the connection.
 */
export async function handler(rawEvent: unknown) {
  const event = authorizerEvent.parse(rawEvent);
  const query = event.queryStringParameters ?? {};
  const token = query[AUTHORIZER.tokenQueryParameter];
  if (!token) throw new Error('Unauthorized');
  const check = await verify(token);
  if (!check.ok) {
    if (check.reason === 'invalid') throw new Error('Unauthorized');
    return policy('anonymous', 'Deny', event.methodArn, {});
  }
  // A client that names no device gets one per connection: it then has no cursor across reconnects.
  const device = deviceIdSchema.safeParse(query.deviceId);
  const deviceId = device.success
    ? device.data
    : `c-${event.requestContext.connectionId.replace(/[^A-Za-z0-9_-]/g, '')}`;
  if (query.deviceId !== undefined && !device.success)
    return policy(check.userId, 'Deny', event.methodArn, {});
  return policy(check.userId, 'Allow', event.methodArn, { userId: check.userId, deviceId });
}
