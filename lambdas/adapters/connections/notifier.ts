import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ServerEvent } from '../../../contract/protocol/frames';
import type { ConnectionNotifier, PostResult } from '../../core/ports';
import type { AwsClientConfig } from '../aws-config';
import { count } from '../observability/telemetry';

/** SDK v3 errors carry `name` and `$metadata.httpStatusCode`, never `statusCode`. */
const isGone = (error: unknown) => error instanceof Error && error.name === 'GoneException';

/**
 * Posts through the @connections API. Its endpoint comes from configuration: a custom domain changes it.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
export class ManagementApiNotifier implements ConnectionNotifier {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(endpoint: string, config: AwsClientConfig) {
    this.client = new ApiGatewayManagementApiClient({ ...config, endpoint });
  }

  async post(connectionId: string, event: ServerEvent, timeoutMs?: number): Promise<PostResult> {
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    try {
      await this.client.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: new TextEncoder().encode(JSON.stringify(event)),
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      count('PostsSent');
      if (event.type === 'presence') count('PresencePosts');
      return 'sent';
    } catch (error) {
      if (isGone(error)) {
        count('PostsGone');
        return 'gone';
      }
      // A post to a reader that stopped reading waits until API Gateway gives up; we give up sooner.
      if (signal?.aborted) return 'stalled';
      throw error;
    }
  }

  async disconnect(connectionId: string): Promise<void> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}
