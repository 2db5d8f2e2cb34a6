import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { HttpRequest } from '@smithy/types';
import { SignedFetch, serviceEndpoint, urlOf } from '../signed-fetch';

/**
 * S3 requests signed with the SDK's own SigV4 signer, without the S3 client: the client adds about
 * 150 KB to a bundle, and GET, HEAD, a copy and a POST policy are plain REST. S3 does not escape paths
 * twice; presigned URLs are signed as the SDK's S3 presigner (`getSignedUrl`) signs them: an unsigned
 * payload, the content type left unsigned
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
 */
export class S3RequestSigner {
  readonly region = process.env.AWS_REGION || 'us-east-1';
  /** The same variables the SDK reads, so local runs reach the local S3 (path-style, as s3rver needs). */
  readonly customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  /** Where the bucket is, and where a presigned POST goes: virtual-hosted on AWS, path-style on a custom endpoint. */
  readonly bucketUrl: string;
  readonly http: SignedFetch;

  constructor(readonly bucket: string) {
    const credentials = fromEnv();
    const aws = `https://${bucket}.s3.${this.region}.amazonaws.com`;
    const endpoint = serviceEndpoint('S3', aws);
    this.bucketUrl = this.customEndpoint ? `${endpoint.replace(/\/$/, '')}/${bucket}` : `${aws}/`;
    this.http = new SignedFetch({
      service: 's3',
      s3: true,
      region: this.region,
      credentials,
      endpoint: this.bucketUrl,
    });
  }

  /** The object's request. */
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
    return this.http.request(method, `/${path}`, { headers, query });
  }

  /** A presigned URL of the request, valid for `expiresInSeconds`. */
  async presign(request: HttpRequest, expiresInSeconds: number): Promise<string> {
    const unsigned = {
      ...request,
      headers: { ...request.headers, 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' },
    };
    return urlOf(await this.http.presign(unsigned, expiresInSeconds, new Set(['content-type'])));
  }
}
