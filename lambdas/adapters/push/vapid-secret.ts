import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod/mini';

/** The secret's value, as the VAPID key custom resource (lib/vapid-keys.ts) stores it. */
export const vapidSecretValue = z.object({
  publicKey: z.string().check(z.minLength(1)),
  privateKey: z.string().check(z.minLength(1)),
});

export type VapidSecretValue = z.infer<typeof vapidSecretValue>;

/**
 * Reads the VAPID key pair from Secrets Manager with one SigV4-signed GetSecretValue request, without
 * the Secrets Manager client, which would add about 100 KB to the push function's bundle for one call.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
export async function readVapidSecret(secretArn: string): Promise<VapidSecretValue> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const endpoint = new URL(
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? `https://secretsmanager.${region}.amazonaws.com`,
  );
  const signer = new SignatureV4({
    service: 'secretsmanager',
    region,
    credentials: fromEnv(),
    sha256: Hash.bind(null, 'sha256'),
  });
  const body = JSON.stringify({ SecretId: secretArn });
  const signed = await signer.sign({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    path: '/',
    headers: {
      host: endpoint.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'secretsmanager.GetSecretValue',
    },
    body,
  });
  const response = await fetch(endpoint, { method: 'POST', headers: signed.headers, body });
  if (!response.ok) {
    // The error's type only: the response never holds the secret when it failed, but say no more than needed.
    const { __type } = (await response.json().catch(() => ({}))) as { __type?: string };
    throw new Error(`GetSecretValue failed: HTTP ${response.status} ${__type ?? ''}`);
  }
  const { SecretString } = (await response.json()) as { SecretString?: string };
  const parsed = vapidSecretValue.safeParse(JSON.parse(SecretString ?? '{}'));
  if (!parsed.success) throw new Error('The VAPID secret does not hold a key pair');
  return parsed.data;
}
