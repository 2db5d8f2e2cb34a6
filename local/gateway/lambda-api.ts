import type { IncomingMessage, ServerResponse } from 'node:http';
import { denialOf } from './access';
import type { AsyncInvoker } from './async-invocations';
import { readBody, sendAwsError, sendEmpty, sendJson } from './http';
import { ACCOUNT_ID, describeError, type LambdaRuntime, REGION } from './lambda-runtime';
import type { ServiceAccess } from './types';

/** Lambda's limit on a synchronous invocation's request payload; also bounds what is buffered here. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface LambdaApiDeps {
  runtime: LambdaRuntime;
  async: AsyncInvoker;
  access: ServiceAccess | undefined;
  log: (line: string) => void;
}

/**
 * FunctionName may be a name, a full or partial ARN (`arn:aws:lambda:r:a:function:name`,
 * `a:function:name`) or `name:qualifier`; the qualifier means nothing locally.
 */
export function resolveFunctionName(raw: string, runtime: LambdaRuntime): string | undefined {
  const segments = raw.split(':');
  const afterFunction = segments[segments.indexOf('function') + 1];
  const candidates = [raw, afterFunction, segments.at(-1), segments[0]];
  return candidates.find((name): name is string => name !== undefined && name !== '' && runtime.has(name));
}

/** `POST /2015-03-31/functions/<FunctionName>/invocations`, answered like the Lambda Invoke API. */
export async function handleInvokeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  rawFunctionName: string,
  deps: LambdaApiDeps,
): Promise<void> {
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body.tooLarge) {
    sendAwsError(res, 413, 'RequestTooLargeException', {
      Type: 'User',
      message: `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the Invoke operation`,
    });
    return;
  }
  const functionName = resolveFunctionName(rawFunctionName, deps.runtime);
  if (functionName === undefined) {
    sendAwsError(res, 404, 'ResourceNotFoundException', {
      Type: 'User',
      message: `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${rawFunctionName}`,
    });
    return;
  }
  const denial = await denialOf(req, body.bytes, { service: 'lambda', functionName }, deps.access);
  if (denial !== undefined) {
    sendAwsError(res, denial.statusCode, denial.errorType, { Type: 'User', message: denial.message });
    return;
  }
  let event: unknown = {};
  if (body.bytes.length > 0) {
    try {
      event = JSON.parse(body.bytes.toString('utf8'));
    } catch {
      sendAwsError(res, 400, 'InvalidRequestContentException', {
        Type: 'User',
        message: 'Could not parse request body into json',
      });
      return;
    }
  }

  const invocationType = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
  switch (invocationType) {
    case 'Event':
      deps.async.invoke(functionName, event);
      sendEmpty(res, 202);
      return;
    case 'DryRun':
      sendEmpty(res, 204);
      return;
    case 'RequestResponse': {
      const headers = { 'X-Amz-Executed-Version': '$LATEST' };
      try {
        const result = await deps.runtime.invoke(functionName, event);
        sendJson(res, 200, result ?? null, headers);
      } catch (error) {
        deps.log(`[lambda] ${functionName} failed: ${describeError(error)}`);
        // Lambda reports a function error in the payload of a 200, flagged by X-Amz-Function-Error.
        const failure = error instanceof Error ? error : new Error(String(error));
        sendJson(
          res,
          200,
          {
            errorType: failure.name,
            errorMessage: failure.message,
            trace: (failure.stack ?? '').split('\n'),
          },
          { ...headers, 'X-Amz-Function-Error': 'Unhandled' },
        );
      }
      return;
    }
    default:
      sendAwsError(res, 400, 'InvalidParameterValueException', {
        Type: 'User',
        message: `Unsupported invocation type: ${String(invocationType)}`,
      });
  }
}
