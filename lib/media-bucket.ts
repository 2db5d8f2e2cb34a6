import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

export interface MediaBucketProps {
  /**
   * Origins that may upload and download from a browser with presigned URLs.
   * @default ['*'] (presigned URLs are the access control, not the origin)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Bucket that receives S3 server access logs.
   * @default - no server access logs
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * Key prefix for server access logs in `serverAccessLogsBucket`.
   * @default 'media/'
   */
  readonly serverAccessLogsPrefix?: string;
}

/**
 * Private bucket for chat media. Clients upload and download only through presigned URLs, so the bucket
 * blocks all public access and needs CORS for browsers' PUT/GET/HEAD requests.
 */
export class MediaBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: MediaBucketProps = {}) {
    super(scope, id);

    if (props.serverAccessLogsPrefix !== undefined && !props.serverAccessLogsBucket) {
      throw new Error('serverAccessLogsPrefix needs serverAccessLogsBucket');
    }

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: [...(props.allowedOrigins ?? ['*'])],
          allowedHeaders: ['*'],
          // Browsers can read an upload's ETag only when it is exposed.
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket
        ? (props.serverAccessLogsPrefix ?? 'media/')
        : undefined,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (!props.serverAccessLogsBucket) {
      acknowledge(
        this.bucket,
        'AwsSolutions-S1',
        'Server access logs are opt-in (serverAccessLogsBucket): objects are reachable only through short-lived presigned URLs that the chat functions issue to authenticated users, and CloudTrail S3 data events can audit access account-wide without a log bucket per stage.',
      );
    }
  }
}
