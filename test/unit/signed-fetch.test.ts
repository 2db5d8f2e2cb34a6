import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsServiceError, SignedFetch } from '../../lambdas/adapters/signed-fetch';

const http = () =>
  new SignedFetch({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/live',
  });

const answer = (status: number, body = '', headers: Record<string, string> = {}) =>
  new Response(status === 204 ? null : body, { status, headers });

let calls: Request[];

function answering(...answers: (Response | Error)[]): void {
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push(new Request(url, init));
    const next = answers.shift();
    if (next === undefined) throw new Error('no answer left');
    if (next instanceof Error) throw next;
    return next;
  });
}

beforeEach(() => {
  calls = [];
  // No back-off wait: full jitter draws the delay from Math.random.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('a signed request sent with fetch', () => {
  it('goes to the path under the endpoint, signed with the role credentials and its session token', async () => {
    answering(answer(200));
    const client = http();

    await client.ensureOk(
      await client.send(client.request('POST', '/@connections/abc%3D', { body: new Uint8Array([1]) })),
    );

    const [request] = calls;
    expect(request?.url).toBe('https://abc.execute-api.eu-west-1.amazonaws.com/live/@connections/abc%3D');
    expect(request?.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers.get('x-amz-security-token')).toBe('token');
  });

  it('retries throttling, 5xx and a failed connection, at most three attempts in all', async () => {
    answering(answer(429), new TypeError('fetch failed'), answer(503, '{"message":"busy"}'));
    const client = http();

    const response = await client.send(client.request('POST', '/x'));

    expect(calls).toHaveLength(3);
    expect(response.status).toBe(503);
    await expect(client.ensureOk(response)).rejects.toMatchObject({
      name: 'Http503Error',
      status: 503,
      message: 'busy',
    });
  });

  it('does not retry a refusal, and names it as the SDK does, from the header or the body', async () => {
    answering(
      answer(410, '{"message":"gone"}', {
        'x-amzn-ErrorType': 'GoneException:http://internal.amazon.com/coral/',
      }),
      answer(403, '{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"denied"}'),
    );
    const client = http();

    const gone = await client.send(client.request('POST', '/x'));
    const denied = await client.send(client.request('POST', '/x'));

    expect(calls).toHaveLength(2);
    const errors = await Promise.all(
      [gone, denied].map((response) => client.ensureOk(response).catch((error: unknown) => error)),
    );
    expect(errors[0]).toBeInstanceOf(AwsServiceError);
    expect(errors[0]).toMatchObject({ name: 'GoneException', status: 410, message: 'gone' });
    expect(errors[1]).toMatchObject({ name: 'AccessDeniedException', status: 403, message: 'denied' });
  });

  it('leaves a failure after its caller gave up to the caller rather than retrying it', async () => {
    const failure = new TypeError('fetch failed');
    answering(failure);
    const client = http();

    await expect(client.send(client.request('POST', '/x'), AbortSignal.abort())).rejects.toBe(failure);
    expect(calls).toHaveLength(1);
  });
});
