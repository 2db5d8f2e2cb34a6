import type { Invoker } from '../../core/ports';
import type { AwsClientConfig } from '../aws-config';
import { SignedFetch, serviceEndpoint } from '../signed-fetch';

/**
 * Lambda's asynchronous invocation (`Invoke` with `X-Amz-Invocation-Type: Event`): the call returns
 * 202 once Lambda has queued the event. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
export class LambdaInvoker<Payload> implements Invoker<Payload> {
  private readonly http: SignedFetch;

  constructor(
    private readonly functionName: string,
    config: AwsClientConfig,
  ) {
    const endpoint = serviceEndpoint('LAMBDA', `https://lambda.${config.region}.amazonaws.com`);
    this.http = new SignedFetch({ ...config, service: 'lambda', endpoint });
  }

  async invokeAsync(payload: Payload): Promise<void> {
    const request = this.http.request(
      'POST',
      `/2015-03-31/functions/${encodeURIComponent(this.functionName)}/invocations`,
      {
        headers: { 'x-amz-invocation-type': 'Event' },
        body: new TextEncoder().encode(JSON.stringify(payload)),
      },
    );
    await this.http.ensureOk(await this.http.send(request));
  }
}
