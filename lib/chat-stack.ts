import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionName } from '../contract/routes';
import { ChatTables } from './chat-tables';
import { ChatIdentity } from './identity';
import { MediaBucket } from './media-bucket';
import { ChatSchedules } from './schedules';
import { ChatSocketApi } from './socket-api';
import { WebHosting } from './web-hosting';

export interface ChatStackProps extends StackProps {
  /**
   * Browser origins allowed to upload to and download from the media bucket.
   * @default - the web client's CloudFront URL
   */
  readonly mediaAllowedOrigins?: readonly string[];
  /**
   * Access logs for the WebSocket stage; needs the account's API Gateway CloudWatch Logs role.
   * @default false
   */
  readonly apiAccessLogging?: boolean;
  /**
   * Memory per function in MB.
   * @default - 256 for every function
   */
  readonly memorySize?: Partial<Record<FunctionName, number>>;
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
  readonly web: WebHosting;

  constructor(scope: Construct, id: string, props: ChatStackProps = {}) {
    super(scope, id, props);

    this.identity = new ChatIdentity(this, 'Identity');
    this.tables = new ChatTables(this, 'Tables');
    this.media = new MediaBucket(this, 'Media');
    this.socketApi = new ChatSocketApi(this, 'Socket', {
      tables: this.tables,
      mediaBucket: this.media.bucket,
      jwt: {
        issuer: this.identity.issuer,
        audience: this.identity.audience,
        jwksUrl: this.identity.jwksUrl,
      },
      accessLogging: props.apiAccessLogging,
      memorySize: props.memorySize,
    });

    this.schedules = new ChatSchedules(this, 'Schedules', { functions: this.socketApi.functions });
    this.web = new WebHosting(this, 'Web', {
      config: {
        wsUrl: this.socketApi.url,
        region: this.region,
        userPoolClientId: this.identity.userPoolClient.userPoolClientId,
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
    new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'Issuer', { value: this.identity.issuer, description: 'iss claim of the tokens' });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'MediaBucketName', { value: this.media.bucket.bucketName });
    new CfnOutput(this, 'WebClientUrl', {
      value: this.web.url,
      description: 'https:// URL of the browser client',
    });
  }
}
