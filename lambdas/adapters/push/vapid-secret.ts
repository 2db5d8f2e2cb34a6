import * as z from 'zod/mini';
import type { AwsClientConfig } from '../aws-config';
import { SignedFetch, serviceEndpoint } from '../signed-fetch';

/** The secret's value, as the VAPID key custom resource (lib/vapid-keys.ts) stores it. */
export const vapidSecretValue = z.object({
  publicKey: z.string().check(z.minLength(1)),
  privateKey: z.string().check(z.minLength(1)),
});

export type VapidSecretValue = z.infer<typeof vapidSecretValue>;

/**
 * Reads the VAPID key pair from Secrets Manager with one signed GetSecretValue request, without the
 * Secrets Manager client, which would add about 100 KB to the push function's bundle for one call.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
export async function readVapidSecret(secretArn: string, config: AwsClientConfig): Promise<VapidSecretValue> {
  const endpoint = serviceEndpoint(
    'SECRETS_MANAGER',
    `https://secretsmanager.${config.region}.amazonaws.com`,
  );
  const http = new SignedFetch({ ...config, service: 'secretsmanager', endpoint });
  const request = http.request('POST', '/', {
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body: new TextEncoder().encode(JSON.stringify({ SecretId: secretArn })),
  });
  const response = await http.send(request);
  // A refusal is named by its type only (SignedFetch's error): a failed answer never holds the secret.
  if (!response.ok) await http.ensureOk(response);
  const { SecretString } = (await response.json()) as { SecretString?: string };
  const parsed = vapidSecretValue.safeParse(JSON.parse(SecretString ?? '{}'));
  if (!parsed.success) throw new Error('The VAPID secret does not hold a key pair');
  return parsed.data;
}
