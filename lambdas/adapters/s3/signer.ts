import { fromEnv } from '@aws-sdk/credential-provider-env';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';

/**
 * Signs S3 requests with the SDK's own SigV4 signer, without the S3 client: the client adds about
 * 150 KB to a bundle, and GET, HEAD and a copy are plain REST calls. S3 does not escape paths twice;
 * presigned URLs come from the SDK's own S3 presigner, as `getSignedUrl` makes them
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
 */
export class S3RequestSigner {
  private readonly region = process.env.AWS_REGION || 'us-east-1';
  /** The same variables the SDK reads, so local runs reach the local S3 (path-style, as s3rver needs). */
  private readonly endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  private readonly signer: SignatureV4;
  private readonly presigner: S3RequestPresigner;

  constructor(readonly bucket: string) {
    const options = { region: this.region, credentials: fromEnv(), sha256: Hash.bind(null, 'sha256') };
    this.signer = new SignatureV4({ ...options, service: 's3', uriEscapePath: false, applyChecksum: true });
    this.presigner = new S3RequestPresigner(options);
  }

  /** The object's request, virtual-hosted on AWS, path-style on a custom endpoint. */
  request(
    method: string,
    key: string,
    headers: Record<string, string> = {},
    query: Record<string, string> = {},
  ): HttpRequest {
    const path = key
      .split('/')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    const base = new URL(this.endpoint ?? `https://${this.bucket}.s3.${this.region}.amazonaws.com`);
    const prefix = this.endpoint ? `${base.pathname.replace(/\/$/, '')}/${this.bucket}` : '';
    return {
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port === '' ? {} : { port: Number(base.port) }),
      path: `${prefix}/${path}`,
      query,
      headers: { ...headers, host: base.host },
    };
  }

  /** Signs a request to send now, with the credentials in its headers. */
  sign(request: HttpRequest): Promise<HttpRequest> {
    return this.signer.sign(request);
  }

  /** A presigned URL of the request, valid for `expiresInSeconds`. */
  async presign(request: HttpRequest, expiresInSeconds: number): Promise<string> {
    const signed = await this.presigner.presign(request, { expiresIn: expiresInSeconds });
    return urlOf(signed);
  }
}

export function urlOf(request: HttpRequest): string {
  const url = new URL(`${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`);
  url.pathname = request.path;
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== null) url.searchParams.append(name, item);
  }
  return url.toString();
}
