import { AssetHashType, DockerImage, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  Distribution,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Policy, type Role } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildWeb, indexHtml, WEB_DIR } from '../web/build';
import type { WebConfig } from '../web/config';
import type { CspSources } from '../web/csp';
import { functionLogsAndRole } from './chat-function';
import { acknowledge, flatStatementsOf, flattenCfnValue, wildcardFinding } from './nag';

/** What the deployed web client reads from /config.json (web/config.ts); values may be tokens. */
export interface WebClientConfig {
  /** The WebSocket API's stage URL, wss://<api-id>.execute-api.<region>.amazonaws.com/live. */
  readonly wsUrl: string;
  /** Region of the Cognito user pool. */
  readonly region: string;
  /** The user pool app client the browser signs in with (USER_PASSWORD_AUTH enabled, no secret). */
  readonly userPoolClientId: string;
  /** The deployment's VAPID public key, the browser's `applicationServerKey` for push subscriptions. */
  readonly vapidPublicKey: string;
}

export interface WebHostingProps {
  readonly config: WebClientConfig;
  /**
   * Bucket that receives CloudFront standard logs and the site bucket's S3 access logs.
   * @default - no access logs
   */
  readonly accessLogsBucket?: IBucket;
  /** @default PriceClass.PRICE_CLASS_100 (North America and Europe edges) */
  readonly priceClass?: PriceClass;
  /**
   * The media bucket: the Content-Security-Policy of index.html (written at deploy time, with the
   * bucket's name) lets the page upload there and load media from there.
   * @default - no media origin is allowed
   */
  readonly mediaBucket?: IBucket;
}

/**
 * The browser client, deployed: a private bucket that only CloudFront reads (Origin Access Control),
 * and in it the client built from web/ during synthesis plus a config.json made from the stack's values.
 */
export class WebHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly deployment: BucketDeployment;
  /** https://<distribution>.cloudfront.net */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsBucket ? 'web-bucket/' : undefined,
      // autoDeleteObjects would add CDK's own provider role, which carries the AWS managed
      // AWSLambdaBasicExecutionRole policy; the bucket holds only build output, so it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Chat web client',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      ...(props.accessLogsBucket && {
        enableLogging: true,
        logBucket: props.accessLogsBucket,
        logFilePrefix: 'web/',
      }),
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    const config: Extract<WebConfig, { mode: 'cognito' }> = { mode: 'cognito', ...props.config };
    const { logs, role } = functionLogsAndRole(this, 'Deployment', {
      description: 'Copies the built web client and its config.json into the site bucket',
    });
    this.deployment = new BucketDeployment(this, 'Deployment', {
      destinationBucket: this.bucket,
      sources: [
        webClientSource(),
        Source.data('index.html', indexHtml(this.cspSources(props))),
        Source.jsonData('config.json', config),
      ],
      // Browsers and CloudFront revalidate each request (CloudFront after the cache policy's one-second
      // minimum TTL), so a deploy shows without an invalidation, whose CDK grant is on every distribution.
      cacheControl: [CacheControl.noCache()],
      role,
      logGroup: logs,
    });

    this.acknowledgeFindings(props);
    acknowledgeDeploymentFindings(this.deployment, role, this.bucket);
  }

  /**
   * Exact origins, no wildcard: the WebSocket stage, Cognito's endpoint in the pool's region (as
   * web/cognito.ts calls it), and the media bucket's virtual-hosted, regional endpoint, which is where
   * the SDK's presigned POSTs and GETs point
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html).
   */
  private cspSources(props: WebHostingProps): CspSources {
    const stack = Stack.of(this);
    const { wsUrl, region } = props.config;
    return {
      connect: [wsUrl, `https://cognito-idp.${region}.amazonaws.com`],
      media: props.mediaBucket
        ? [`https://${props.mediaBucket.bucketName}.s3.${stack.region}.${stack.urlSuffix}`]
        : [],
    };
  }

  private acknowledgeFindings(props: WebHostingProps): void {
    if (!props.accessLogsBucket) {
      acknowledge(
        this.bucket,
        'AwsSolutions-S1',
        'Access logs are opt-in (accessLogsBucket): the bucket holds only the public build of the web client, read by CloudFront alone.',
      );
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR3',
        'Access logs are opt-in (accessLogsBucket): the distribution serves only the static, public web client.',
      );
    }
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The chat is open to users in every country; there is no geographic restriction to enforce.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'A static client behind CloudFront with no origin logic; a WAF web ACL per stage would cost more than the risk it covers. Add one via webAclId where needed.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate allows no minimum protocol setting; a custom domain with its own certificate can set TLSv1.2_2021.',
    );
  }
}

/**
 * The client as a CDK asset that `buildWeb`, the one build definition, produces while CDK bundles
 * assets: `cdk synth` builds it from source (no dist/web needed), and apps that skip bundling, such as
 * the template tests, skip the build too.
 */
function webClientSource(): ISource {
  return Source.asset(WEB_DIR, {
    // The client also bundles code from client/ and contract/, so the hash is of what was built.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: {
        tryBundle(outputDir) {
          buildWeb(outputDir);
          return true;
        },
      },
      // The type requires an image; it is never run, because the local build succeeds or throws.
      image: DockerImage.fromRegistry('scratch'),
    },
  });
}

/**
 * BucketDeployment copies the files with a Lambda function that CDK writes (one per stack, at the stack's
 * root) and runs it with our role, to which CDK adds its grants: read the staged sources, read and write
 * the site bucket. Only wildcards in statements on exactly those buckets are acknowledged, each by its
 * exact finding id, so a wildcard added on anything else still fails the check.
 */
function acknowledgeDeploymentFindings(deployment: BucketDeployment, role: Role, siteBucket: IBucket): void {
  const stack = Stack.of(deployment);
  const handler = stack.node.children.find(
    (child): child is LambdaFunction => child instanceof LambdaFunction && child.role === role,
  );
  if (!handler) throw new Error('BucketDeployment created no function with the deployment role');
  acknowledge(
    handler,
    'AwsSolutions-L1',
    'CDK chooses and updates the runtime of its BucketDeployment handler with each aws-cdk-lib release; it is not ours to set.',
  );
  acknowledge(
    handler,
    'Serverless-LambdaLatestVersion',
    'CDK chooses and updates the runtime of its BucketDeployment handler with each aws-cdk-lib release; it is not ours to set.',
  );
  acknowledge(
    handler,
    'Serverless-LambdaTracing',
    "CDK's BucketDeployment handler runs once per deployment, from CloudFormation, which reports its failures; a trace would show nothing the stack events do not.",
  );
  acknowledge(
    handler,
    'Serverless-LambdaDLQ',
    'CloudFormation invokes the BucketDeployment handler synchronously, as a custom resource, and fails the deployment when it fails; there is no asynchronous event to keep.',
  );

  const flat = (arn: string) => flattenCfnValue(stack.resolve(arn));
  const reasonByResource = new Map<string, string>();
  const stagingReason =
    "CDK's asset grant to read the staged sources (the built client, config.json) from the bootstrap staging bucket, where their keys are content hashes known only at synthesis; read only.";
  for (const staged of deployment.node.children.filter((child) => child instanceof Asset)) {
    reasonByResource.set(flat(staged.bucket.bucketArn), stagingReason);
    reasonByResource.set(flat(staged.bucket.arnForObjects('*')), stagingReason);
  }
  const siteReason =
    'Deploying copies the client into the site bucket and prunes files that are no longer built, so it writes and deletes objects under any key of that one bucket.';
  reasonByResource.set(flat(siteBucket.bucketArn), siteReason);
  reasonByResource.set(flat(siteBucket.arnForObjects('*')), siteReason);

  const actionReason =
    "The S3 action families (s3:GetObject*, s3:List*, ...) CDK's bucket grants write as prefixes; these statements name only the staging bucket (read) and the site bucket (read and write).";

  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof Policy)) throw new Error('The deployment role has no policy');
  const reasonByFinding = new Map<string, string>();
  for (const statement of flatStatementsOf(policy)) {
    if (!statement.resources.every((resource) => reasonByResource.has(resource))) continue;
    for (const action of statement.actions) {
      const finding = wildcardFinding('Action', action);
      if (finding) reasonByFinding.set(finding, actionReason);
    }
    for (const resource of statement.resources) {
      const finding = wildcardFinding('Resource', resource);
      const reason = reasonByResource.get(resource);
      if (finding && reason) reasonByFinding.set(finding, reason);
    }
  }
  for (const [finding, reason] of reasonByFinding) acknowledge(role, finding, reason);
}
