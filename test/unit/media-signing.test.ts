import { createHmac } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/core/serde';
import { getSigningKey } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3MediaObjects } from '../../lambdas/adapters/s3/objects';
import { S3UploadPresigner } from '../../lambdas/adapters/s3/presigned-post';
import { S3RequestSigner } from '../../lambdas/adapters/s3/signer';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  vi.stubEnv('AWS_ACCESS_KEY_ID', CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ENDPOINT_URL_S3', undefined);
  vi.stubEnv('AWS_ENDPOINT_URL', undefined);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe('the presigned POST of an upload slot', () => {
  it('signs a policy that pins bucket, key, type, size range and a short expiry, and nothing looser', async () => {
    const post = await new S3UploadPresigner('chat-media').presignPost({
      key: 'staging/alice/Xk2v9QmZ0c7RtY4bW1sA',
      contentType: 'image/png',
      maxBytes: 183204,
      expiresInSeconds: 300,
    });
    expect(post.url).toBe('https://chat-media.s3.eu-west-1.amazonaws.com/');
    const policy = JSON.parse(Buffer.from(post.fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.expiration).toBe('2026-11-29T12:05:00Z');
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: 'chat-media' },
        { key: 'staging/alice/Xk2v9QmZ0c7RtY4bW1sA' },
        { 'Content-Type': 'image/png' },
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', 1, 183204],
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
        { 'X-Amz-Credential': 'AKIDEXAMPLE/20261129/eu-west-1/s3/aws4_request' },
        { 'X-Amz-Date': '20261129T120000Z' },
      ]),
    );
    // No condition that widens what may be stored: no starts-with, no second key or type.
    expect(policy.conditions).toHaveLength(8);
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    // The form carries exactly the signed values, and the signature is the SigV4 HMAC of the policy.
    expect(post.fields).toMatchObject({
      key: 'staging/alice/Xk2v9QmZ0c7RtY4bW1sA',
      'Content-Type': 'image/png',
    });
    const signingKey = await getSigningKey(
      Hash.bind(null, 'sha256'),
      CREDENTIALS,
      '20261129',
      'eu-west-1',
      's3',
    );
    expect(post.fields['X-Amz-Signature']).toBe(
      createHmac('sha256', signingKey)
        .update(post.fields.Policy ?? '')
        .digest('hex'),
    );
  });
});

describe('the presigned POST signed without the S3 client', () => {
  it('is the form createPresignedPost makes with the S3 client, field for field', async () => {
    const upload = { key: 'staging/alice/Xk2v9QmZ0c7RtY4bW1sA', contentType: 'image/png', maxBytes: 183204 };
    const ours = await new S3UploadPresigner('chat-media').presignPost({ ...upload, expiresInSeconds: 300 });

    const client = new S3Client({ region: 'eu-west-1', credentials: CREDENTIALS });
    const fromClient = await createPresignedPost(client, {
      Bucket: 'chat-media',
      Key: upload.key,
      Fields: { 'Content-Type': upload.contentType },
      Conditions: [
        ['eq', '$Content-Type', upload.contentType],
        ['content-length-range', 1, upload.maxBytes],
      ],
      Expires: 300,
    });
    client.destroy();

    expect(ours).toEqual(fromClient);
  });
});

describe('presigned GETs signed without the S3 client', () => {
  const media = {
    kind: 'image' as const,
    contentType: 'image/png' as const,
    size: 10,
    fileName: 'beach day.png',
    key: 'media/Xk2v9QmZ0c7RtY4bW1sA',
  };

  it('equal the S3 client getSignedUrl for the same object and response headers', async () => {
    const url = new URL(await new S3MediaObjects(new S3RequestSigner('chat-media')).downloadUrl(media, 900));
    expect(url.origin).toBe('https://chat-media.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/media/Xk2v9QmZ0c7RtY4bW1sA');
    expect(url.searchParams.get('response-content-type')).toBe('image/png');
    expect(url.searchParams.get('response-content-disposition')).toBe(
      "inline; filename*=UTF-8''beach%20day.png",
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');

    const client = new S3Client({
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      // Without the SDK's default checksum parameters, which a download does not need.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const fromClient = new URL(
      await getSignedUrl(
        client,
        new GetObjectCommand({
          Bucket: 'chat-media',
          Key: media.key,
          ResponseContentType: 'image/png',
          ResponseContentDisposition: "inline; filename*=UTF-8''beach%20day.png",
        }),
        { expiresIn: 900 },
      ),
    );
    client.destroy();
    // The client adds its operation name (x-id), which is signed too; with it removed from both
    // canonical queries the two URLs sign the same request, so compare everything but the signature.
    const params = (u: URL) =>
      [...u.searchParams].filter(([name]) => name !== 'x-id' && name !== 'X-Amz-Signature').sort();
    expect(params(url)).toEqual(params(fromClient));
    expect(url.pathname).toBe(fromClient.pathname);
  });
});
