import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MEDIA_PREFIXES } from '../contract/media';
import type { MediaAccess } from '../contract/routes';
import { acknowledge } from './nag';

/**
 * The S3 actions behind each kind of media access of the contract, on the one prefix each needs. A
 * presigned request is allowed when its signer may make the request itself: a presigned POST is a
 * PutObject, a presigned GET a GetObject (HeadObject needs GetObject too). CopyObject needs GetObject on
 * the source and PutObject on the target.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 */
const MEDIA_GRANTS: Readonly<Record<MediaAccess, readonly { action: string; prefix: string }[]>> = {
  upload: [{ action: 's3:PutObject', prefix: MEDIA_PREFIXES.staging }],
  verify: [
    { action: 's3:GetObject', prefix: MEDIA_PREFIXES.staging },
    { action: 's3:PutObject', prefix: MEDIA_PREFIXES.kept },
  ],
  download: [{ action: 's3:GetObject', prefix: MEDIA_PREFIXES.kept }],
};

/** Grants exactly the S3 actions the given media access needs, one statement per action and prefix. */
export function grantMediaAccess(
  grantee: IGrantable,
  bucket: IBucket,
  access: readonly MediaAccess[],
): Grant[] {
  const pairs = new Map<string, { action: string; prefix: string }>();
  for (const pair of access.flatMap((kind) => MEDIA_GRANTS[kind]))
    pairs.set(`${pair.action} ${pair.prefix}`, pair);
  return [...pairs.values()].map(({ action, prefix }) =>
    Grant.addToPrincipal({ grantee, actions: [action], resourceArns: [bucket.arnForObjects(`${prefix}*`)] }),
  );
}

export interface MediaBucketProps {
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
 * blocks all public access and needs CORS for browsers' POST (upload) and GET/HEAD (download) requests.
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
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // Uploads no message claimed; a claimed one was copied to media/, which no rule touches.
          id: 'expire-unsent-uploads',
          prefix: MEDIA_PREFIXES.staging,
          expiration: Duration.days(1),
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

  /**
   * Lets browsers on these origins upload (a presigned POST: a form, no custom headers) and download
   * (presigned GETs). Presigned URLs are the access control; CORS only decides which pages may read
   * the answers.
   */
  allowBrowserOrigins(origins: readonly string[]): void {
    this.bucket.addCorsRule({
      allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
      allowedOrigins: [...origins],
      allowedHeaders: ['*'],
      maxAge: 3000,
    });
  }
}
