import type { ServerEvent } from '../../../contract/protocol/frames';
import type { ConnectionNotifier, PostResult } from '../../core/ports';
import type { AwsClientConfig } from '../aws-config';
import { count } from '../observability/telemetry';
import { SignedFetch } from '../signed-fetch';

/** API Gateway answers a post or delete to a closed connection with 410 GoneException. */
const GONE = 410;

/**
 * Posts through the @connections API (`POST|DELETE /@connections/{connectionId}` under the stage's
 * URL), signed for `execute-api`. Its endpoint comes from configuration: a custom domain changes it.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
export class ManagementApiNotifier implements ConnectionNotifier {
  private readonly http: SignedFetch;

  constructor(endpoint: string, config: AwsClientConfig) {
    this.http = new SignedFetch({ ...config, service: 'execute-api', endpoint });
  }

  private call(
    method: 'POST' | 'DELETE',
    connectionId: string,
    body?: Uint8Array<ArrayBuffer>,
    signal?: AbortSignal,
  ) {
    const path = `/@connections/${encodeURIComponent(connectionId)}`;
    return this.http.send(this.http.request(method, path, body === undefined ? {} : { body }), signal);
  }

  async post(connectionId: string, event: ServerEvent, timeoutMs?: number): Promise<PostResult> {
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    try {
      const response = await this.call(
        'POST',
        connectionId,
        new TextEncoder().encode(JSON.stringify(event)),
        signal,
      );
      if (response.status === GONE) {
        await response.body?.cancel();
        count('PostsGone');
        return 'gone';
      }
      await this.http.ensureOk(response);
      count('PostsSent');
      if (event.type === 'presence') count('PresencePosts');
      return 'sent';
    } catch (error) {
      // A post to a reader that stopped reading waits until API Gateway gives up; we give up sooner.
      if (signal?.aborted) return 'stalled';
      throw error;
    }
  }

  async disconnect(connectionId: string): Promise<void> {
    const response = await this.call('DELETE', connectionId);
    if (response.status !== GONE) await this.http.ensureOk(response);
  }
}
