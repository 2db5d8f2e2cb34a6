import type { PresignedPost, UploadPresigner } from '../../core/ports';
import { S3RequestSigner } from './signer';

/** `2026-11-29T12:05:00Z`: the policy's expiration, in ISO 8601 without milliseconds. */
const iso8601 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Presigned POSTs (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
 * the policy pins the bucket, the exact key, the content type and a content-length-range, so the
 * holder can store one object of the declared type and size and nothing else, until it expires. The
 * form is the one `createPresignedPost` of `@aws-sdk/s3-presigned-post` makes, signed without the S3
 * client that package needs: the signature is the SigV4 HMAC of the base64 policy
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html).
 */
export class S3UploadPresigner implements UploadPresigner {
  private readonly signer: S3RequestSigner;

  constructor(bucket: string) {
    this.signer = new S3RequestSigner(bucket);
  }

  async presignPost(upload: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedPost> {
    const now = new Date();
    const amzDate = iso8601(now).replace(/[-:]/g, '');
    const credentials = await this.signer.http.credentials();
    const scope = `${amzDate.slice(0, 8)}/${this.signer.region}/s3/aws4_request`;
    const signed: Record<string, string> = {
      'Content-Type': upload.contentType,
      bucket: this.signer.bucket,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
      'X-Amz-Date': amzDate,
      ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
      key: upload.key,
    };
    const policy = {
      expiration: iso8601(new Date(now.getTime() + upload.expiresInSeconds * 1000)),
      conditions: [
        ['eq', '$Content-Type', upload.contentType],
        ['content-length-range', 1, upload.maxBytes],
        ...Object.entries(signed).map(([name, value]) => ({ [name]: value })),
      ],
    };
    const encoded = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
    return {
      url: this.signer.bucketUrl,
      fields: {
        ...signed,
        Policy: encoded,
        'X-Amz-Signature': await this.signer.http.signString(encoded, now),
      },
    };
  }
}
