import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3MediaObjects } from '../../lambdas/adapters/s3/objects';
import { S3UploadPresigner } from '../../lambdas/adapters/s3/presigned-post';
import { S3RequestSigner } from '../../lambdas/adapters/s3/signer';
import { S3RVER_CREDENTIALS } from '../../local/s3';
import { type S3Guard, startS3Guard } from '../../local/s3-guard';

/** s3rver with the checking layer in front, on a clock the tests move: expiry without waiting. */
const BUCKET = 'guarded';
const KEY = 'media/AAAAAAAAAAAAAAAAAAAAAA';
let clock = Date.now();
let directory: string;
let s3rver: S3rver;
let guard: S3Guard;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'chat-s3-guard-'));
  s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await s3rver.run();
  const upstream = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint: upstream,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'stored', ContentType: 'image/png' }),
  );
  client.destroy();
  guard = await startS3Guard({
    upstream,
    credentials: S3RVER_CREDENTIALS,
    region: 'us-east-1',
    now: () => clock,
  });
  vi.stubEnv('AWS_ENDPOINT_URL_S3', guard.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await guard.stop();
  await s3rver.close();
  rmSync(directory, { recursive: true, force: true });
});

const media = { kind: 'image' as const, contentType: 'image/png' as const, size: 6, key: KEY };

describe('the local S3 layer', () => {
  it('serves a presigned GET until it expires, then refuses it as S3 does', async () => {
    clock = Date.now();
    const url = await new S3MediaObjects(new S3RequestSigner(BUCKET)).downloadUrl(media, 60);
    expect(await (await fetch(url)).text()).toBe('stored');
    clock += 61_000;
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Message>Request has expired</Message>');
  });

  it('refuses a URL signed with another secret key', async () => {
    clock = Date.now();
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-the-secret');
    const url = await new S3MediaObjects(new S3RequestSigner(BUCKET)).downloadUrl(media, 60);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    const forged = await fetch(url);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('accepts a POST upload within its policy expiry and refuses it after', async () => {
    clock = Date.now();
    const post = await new S3UploadPresigner(BUCKET).presignPost({
      key: 'staging/alice/BBBBBBBBBBBBBBBBBBBBBB',
      contentType: 'image/png',
      maxBytes: 10,
      expiresInSeconds: 300,
    });
    const send = () => {
      const form = new FormData();
      for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
      form.append('file', new Blob(['12345']));
      return fetch(post.url, { method: 'POST', body: form });
    };
    expect((await send()).status).toBe(204);
    clock += 301_000;
    const late = await send();
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Invalid according to Policy: Policy expired.');
  });
});
