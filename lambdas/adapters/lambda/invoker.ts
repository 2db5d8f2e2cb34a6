import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Invoker } from '../../core/ports';
import type { AwsClientConfig } from '../aws-config';

/** Lambda's asynchronous invocation: the call returns once Lambda has queued the event. */
export class LambdaInvoker<Payload> implements Invoker<Payload> {
  private readonly client: LambdaClient;

  constructor(
    private readonly functionName: string,
    config: AwsClientConfig,
  ) {
    this.client = new LambdaClient(config);
  }

  async invokeAsync(payload: Payload): Promise<void> {
    await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  }
}
