import type { IncomingMessage } from 'node:http';
import { type AwsDenial, verifySignature } from '../signature';
import type { AwsCall, ServiceAccess } from './types';

const MISSING_TOKEN: AwsDenial = {
  statusCode: 403,
  errorType: 'MissingAuthenticationTokenException',
  message: 'Missing Authentication Token',
};

/**
 * Both management APIs take only signed requests (IAM authorization); with `access`, the signature is
 * verified and the signer must be granted the call. Undefined when the call may go ahead.
 */
export async function denialOf(
  req: IncomingMessage,
  body: Buffer,
  call: AwsCall,
  access: ServiceAccess | undefined,
): Promise<AwsDenial | undefined> {
  if (access === undefined) return req.headers.authorization === undefined ? MISSING_TOKEN : undefined;
  const signature = await verifySignature(req, body, (accessKeyId) => access.secretFor(accessKeyId));
  if (!signature.ok) return signature.denial;
  return access.authorize(signature.accessKeyId, call);
}
