import { afterEach, describe, expect, it, vi } from 'vitest';
import { readVapidSecret } from '../../lambdas/adapters/push/vapid-secret';

const config = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
};
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vapid-AbCdEf';

let calls: Request[];

function answering(response: Response): void {
  calls = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push(new Request(url, init));
    return response;
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('readVapidSecret', () => {
  it('asks Secrets Manager for the secret with one signed GetSecretValue and returns the key pair', async () => {
    const keys = { publicKey: 'BPub', privateKey: 'priv' };
    answering(Response.json({ ARN, SecretString: JSON.stringify(keys) }));

    expect(await readVapidSecret(ARN, config)).toEqual(keys);

    const [request] = calls;
    expect(request?.url).toBe('https://secretsmanager.eu-west-1.amazonaws.com/');
    expect(request?.headers.get('x-amz-target')).toBe('secretsmanager.GetSecretValue');
    expect(request?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, /,
    );
    expect(await request?.json()).toEqual({ SecretId: ARN });
  });

  it('names a refusal by its type, and refuses a secret that holds no key pair', async () => {
    answering(
      Response.json(
        { __type: 'AccessDeniedException', message: 'not authorized' },
        { status: 400, headers: { 'content-type': 'application/x-amz-json-1.1' } },
      ),
    );
    await expect(readVapidSecret(ARN, config)).rejects.toMatchObject({ name: 'AccessDeniedException' });

    answering(Response.json({ ARN, SecretString: '{"publicKey":"BPub"}' }));
    await expect(readVapidSecret(ARN, config)).rejects.toThrow('does not hold a key pair');
  });
});
