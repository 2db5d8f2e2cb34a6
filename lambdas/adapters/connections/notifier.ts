import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ServerEvent } from '../../../contract/protocol/frames';
import type { ConnectionNotifier, PostResult } from '../../core/ports';
import { count } from '../observability/telemetry';

/** Posts through the @connections API. Its endpoint comes from configuration: a custom domain changes it. */
export class ManagementApiNotifier implements ConnectionNotifier {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(endpoint: string) {
    this.client = new ApiGatewayManagementApiClient({ endpoint });
  }

  async post(connectionId: string, event: ServerEvent): Promise<PostResult> {
    try {
      await this.client.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      count('PostsSent');
      if (event.type === 'presence') count('PresencePosts');
      return 'sent';
    } catch (error) {
      // SDK v3 errors carry `name` and `$metadata.httpStatusCode`, never `statusCode`.
      if (error instanceof Error && error.name === 'GoneException') {
        count('PostsGone');
        return 'gone';
      }
      throw error;
    }
  }
}
