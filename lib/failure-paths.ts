import { Duration } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ASYNC_INVOCATIONS,
  type AsyncFunctionName,
  type AsyncInvocationSettings,
} from '../contract/invocations';
import type { FunctionName } from '../contract/routes';
import type { ChatFunction } from './chat-function';
import { acknowledge } from './nag';

export interface FailurePathsProps {
  readonly functions: Readonly<Record<FunctionName, ChatFunction>>;
}

/**
 * One encrypted queue per asynchronously started function, where Lambda puts each event it gave up
 * on (failed after its retries, or too old), with the error: nothing is dropped without a trace.
 * docs/runbook.md says how to replay them (`npm run replay-failures`).
 */
export class FailurePaths extends Construct {
  readonly queues: Readonly<Record<AsyncFunctionName, Queue>>;

  constructor(scope: Construct, id: string, props: FailurePathsProps) {
    super(scope, id);
    const queues = {} as Record<AsyncFunctionName, Queue>;
    for (const name of Object.keys(ASYNC_INVOCATIONS) as AsyncFunctionName[]) {
      const settings: AsyncInvocationSettings = ASYNC_INVOCATIONS[name];
      const queue = new Queue(this, `${name.charAt(0).toUpperCase()}${name.slice(1)}Failures`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // The longest SQS keeps a message: time to notice, fix and replay.
        retentionPeriod: Duration.days(14),
      });
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        'This queue is itself the failure destination of a function; what lands here is replayed by an operator, not by another queue.',
      );
      acknowledge(
        queue,
        'Serverless-SQSRedrivePolicy',
        'This queue is itself the failure destination of a function; what lands here is replayed by an operator, not by another queue.',
      );
      props.functions[name].configureAsyncInvoke({
        retryAttempts: settings.retryAttempts,
        maxEventAge: Duration.seconds(settings.maxEventAgeSeconds),
        onFailure: new SqsDestination(queue),
      });
      queues[name] = queue;
    }
    this.queues = queues;
  }
}
