import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { LogLevel } from '../contract/environment';
import type { FunctionName } from '../contract/routes';
import { ChatTables } from './chat-tables';
import { FailurePaths } from './failure-paths';
import { ChatIdentity } from './identity';
import { MediaBucket } from './media-bucket';
import { acknowledge } from './nag';
import { ChatObservability } from './observability';
import { ChatSchedules } from './schedules';
import { ChatSocketApi } from './socket-api';
import { VapidKeys } from './vapid-keys';
import { WebHosting } from './web-hosting';

export interface ChatStackProps extends StackProps {
  /**
   * Browser origins allowed to upload to and download from the media bucket.
   * @default - the web client's CloudFront URL
   */
  readonly mediaAllowedOrigins?: readonly string[];
  /**
   * Access logs for the WebSocket stage. They need the account's API Gateway CloudWatch Logs role
   * (set once per account and region): set `apiGatewayCloudWatchRole` on an account that has none,
   * or turn access logs off.
   * @default true
   */
  readonly apiAccessLogging?: boolean;
  /**
   * Creates the API Gateway CloudWatch Logs role and names it in the account's API Gateway settings
   * (AWS::ApiGateway::Account), which WebSocket access logs need. The setting is per account and
   * region, so only one stack there should own it; the role is retained when the stack goes.
   * @default false
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * ARN of an SNS topic told when an alarm goes off and when it clears.
   * @default - alarms notify no one
   */
  readonly alarmTopicArn?: string;
  /**
   * Lowest level the functions log.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Memory per function in MB.
   * @default - 256 for every function
   */
  readonly memorySize?: Partial<Record<FunctionName, number>>;
  /**
   * Reserve concurrency for the functions a flood could multiply (typing, presence, drain); turn off in
   * accounts whose Lambda concurrency quota is below about 300.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /**
   * RFC 8292 `sub` of Web Push requests: a mailto: or https: URL at which push services can reach the
   * operator. Also read from the context key `vapidSubject` (`cdk deploy -c vapidSubject=mailto:…`).
   * @default 'mailto:webpush@example.com' — set a real contact before going live
   */
  readonly vapidSubject?: string;
}

/**
 * The whole chat: identity, tables, media bucket, the WebSocket API with its functions, the schedules
 * that run some of them, and the browser client served through CloudFront.
 */
export class ChatStack extends Stack {
  readonly identity: ChatIdentity;
  readonly tables: ChatTables;
  readonly media: MediaBucket;
  readonly socketApi: ChatSocketApi;
  readonly schedules: ChatSchedules;
  readonly failurePaths: FailurePaths;
  readonly observability: ChatObservability;
  readonly web: WebHosting;
  readonly vapid: VapidKeys;

  constructor(scope: Construct, id: string, props: ChatStackProps = {}) {
    super(scope, id, props);

    this.identity = new ChatIdentity(this, 'Identity');
    this.tables = new ChatTables(this, 'Tables');
    this.media = new MediaBucket(this, 'Media');
    const contextSubject: unknown = this.node.tryGetContext('vapidSubject');
    this.vapid = new VapidKeys(this, 'Vapid', {
      subject:
        props.vapidSubject ??
        (typeof contextSubject === 'string' ? contextSubject : 'mailto:webpush@example.com'),
    });
    this.socketApi = new ChatSocketApi(this, 'Socket', {
      tables: this.tables,
      mediaBucket: this.media.bucket,
      userPool: this.identity.userPool,
      jwt: {
        issuer: this.identity.issuer,
        audience: this.identity.audience,
        jwksUrl: this.identity.jwksUrl,
      },
      accessLogging: props.apiAccessLogging,
      memorySize: props.memorySize,
      logLevel: props.logLevel,
      reserveConcurrency: props.reserveConcurrency,
      vapid: this.vapid,
    });
    if (props.apiGatewayCloudWatchRole) this.setApiGatewayLogsRole();

    this.failurePaths = new FailurePaths(this, 'FailurePaths', { functions: this.socketApi.functions });
    this.schedules = new ChatSchedules(this, 'Schedules', {
      functions: this.socketApi.functions,
      deadLetterQueues: { sweeper: this.failurePaths.queues.sweeper },
    });
    this.observability = new ChatObservability(this, 'Observability', {
      socketApi: this.socketApi,
      tables: this.tables,
      failureQueues: this.failurePaths.queues,
      alarmTopic: props.alarmTopicArn
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined,
    });
    this.web = new WebHosting(this, 'Web', {
      config: {
        wsUrl: this.socketApi.url,
        region: this.region,
        userPoolClientId: this.identity.userPoolClient.userPoolClientId,
        vapidPublicKey: this.vapid.publicKey,
      },
      mediaBucket: this.media.bucket,
    });
    this.media.allowBrowserOrigins(props.mediaAllowedOrigins ?? [this.web.url]);

    new CfnOutput(this, 'WebSocketUrl', {
      value: this.socketApi.url,
      description: 'wss:// URL clients connect to (add ?token=<Cognito ID token>)',
    });
    new CfnOutput(this, 'ConnectionsEndpoint', {
      value: this.socketApi.connectionsEndpoint,
      description: 'https:// endpoint of the @connections management API',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'UsersTableName', {
      value: this.tables.table('users').tableName,
      description: 'CHAT_USERS_TABLE for operator commands (npm run sign-out-everywhere)',
    });
    new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'Issuer', { value: this.identity.issuer, description: 'iss claim of the tokens' });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'MediaBucketName', { value: this.media.bucket.bucketName });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.observability.dashboard.dashboardName}`,
      description: 'CloudWatch dashboard of the chat',
    });
    for (const [name, queue] of Object.entries(this.failurePaths.queues)) {
      new CfnOutput(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}FailureQueueUrl`, {
        value: queue.queueUrl,
        description: `Events of the ${name} function Lambda gave up on (npm run replay-failures)`,
      });
    }
    new CfnOutput(this, 'WebClientUrl', {
      value: this.web.url,
      description: 'https:// URL of the browser client',
    });
  }

  /** The account-wide setting WebSocket access logs need (see apiGatewayCloudWatchRole). */
  private setApiGatewayLogsRole(): void {
    const role = new Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write execution and access logs to CloudWatch Logs in this account',
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The AWS managed policy API Gateway documents for its account-wide CloudWatch Logs role; API Gateway creates the log groups, so their names are not known in advance.',
    );
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.socketApi.stage.node.addDependency(account);
  }
}
