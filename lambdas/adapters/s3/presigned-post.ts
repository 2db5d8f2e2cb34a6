import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { PresignedPost, UploadPresigner } from '../../core/ports';

/**
 * Presigned POSTs (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html):
 * the policy pins the bucket, the exact key, the content type and a content-length-range, so the
 * holder can store one object of the declared type and size and nothing else, until it expires.
 */
export class S3UploadPresigner implements UploadPresigner {
  // A custom endpoint (local S3) needs path-style addressing; AWS uses virtual-hosted buckets.
  private readonly client = new S3Client({
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL),
  });

  constructor(private readonly bucket: string) {}

  presignPost(upload: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedPost> {
    return createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: upload.key,
      Fields: { 'Content-Type': upload.contentType },
      Conditions: [
        ['eq', '$Content-Type', upload.contentType],
        ['content-length-range', 1, upload.maxBytes],
      ],
      Expires: upload.expiresInSeconds,
    });
  }
}
