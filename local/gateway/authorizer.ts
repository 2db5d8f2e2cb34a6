import type { AuthorizerContext, AuthorizerValue } from './events';
import { describeError, isRecord } from './lambda-runtime';

/** API Gateway's quota on an authorizer's result: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
export const MAX_AUTHORIZER_RESULT_BYTES = 8 * 1024;

export type AuthorizerResponse =
  | { outcome: 'allow'; authorizer: AuthorizerContext }
  | { outcome: 'reject'; statusCode: 401 | 403 | 500; reason: string };

function isAuthorizerValue(value: unknown): value is AuthorizerValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function strings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
function wildcardMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`).test(value);
}

/** An authorizer's thrown `Error('Unauthorized')` is API Gateway's signal for 401. */
export function rejectionFromError(error: unknown): AuthorizerResponse {
  if (error instanceof Error && error.message === 'Unauthorized') {
    return { outcome: 'reject', statusCode: 401, reason: 'authorizer answered Unauthorized' };
  }
  return { outcome: 'reject', statusCode: 500, reason: `authorizer failed: ${describeError(error)}` };
}

/**
 * Evaluates an authorizer's result against the $connect method ARN the way API Gateway does: an
 * explicit Deny wins, otherwise an Allow is needed (403 without one); a malformed result or a context
 * value that is not a string, number or boolean is a configuration error (500).
 */
export function evaluateAuthorizerResult(
  result: unknown,
  methodArn: string,
  integrationLatency: number,
): AuthorizerResponse {
  const invalid = (reason: string): AuthorizerResponse => ({ outcome: 'reject', statusCode: 500, reason });
  const size = Buffer.byteLength(JSON.stringify(result) ?? '');
  if (size > MAX_AUTHORIZER_RESULT_BYTES) {
    return invalid(`authorizer result is ${size} bytes, over the ${MAX_AUTHORIZER_RESULT_BYTES}-byte quota`);
  }
  if (!isRecord(result) || typeof result.principalId !== 'string') {
    return invalid('authorizer result has no string principalId');
  }
  const statements = isRecord(result.policyDocument) ? result.policyDocument.Statement : undefined;
  if (!Array.isArray(statements)) return invalid('authorizer result has no policyDocument.Statement list');

  let allowed = false;
  for (const statement of statements) {
    if (!isRecord(statement)) return invalid('policy statement is not an object');
    const actions = strings(statement.Action);
    const resources = strings(statement.Resource);
    const effect = statement.Effect;
    if (actions === undefined || resources === undefined || (effect !== 'Allow' && effect !== 'Deny')) {
      return invalid('policy statement needs Action, Resource and Effect Allow or Deny');
    }
    const applies =
      actions.some((action) => wildcardMatches(action, 'execute-api:Invoke')) &&
      resources.some((resource) => wildcardMatches(resource, methodArn));
    if (applies && effect === 'Deny') {
      return { outcome: 'reject', statusCode: 403, reason: 'policy denies the connection' };
    }
    if (applies) allowed = true;
  }
  if (!allowed) return { outcome: 'reject', statusCode: 403, reason: 'policy does not allow the connection' };

  const context: AuthorizerContext = {};
  if (result.context !== undefined && result.context !== null) {
    if (!isRecord(result.context)) return invalid('authorizer context is not an object');
    for (const [key, value] of Object.entries(result.context)) {
      if (!isAuthorizerValue(value)) {
        return invalid(`authorizer context value "${key}" is not a string, number or boolean`);
      }
      // Routes see every context value as a string, whatever type the authorizer returned.
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
      context[key] = String(value);
    }
  }
  return {
    outcome: 'allow',
    authorizer: { ...context, principalId: result.principalId, integrationLatency },
  };
}
