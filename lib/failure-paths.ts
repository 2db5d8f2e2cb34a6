import { Duration } from 'aws-cdk-lib';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from '../contract/routes';
import type { ChatFunction } from './chat-function';
import { acknowledge } from './nag';

/** How Lambda retries a function it runs asynchronously, and how long an event may wait. */
export interface AsyncInvocationSettings {
  /** Retries after a failed run: 0, 1 or 2. */
  readonly retryAttempts: 0 | 1 | 2;
  /** Older events are not run but sent to the failure queue (60 s to 6 h). */
  readonly maxEventAge: Duration;
}

/**
 * The functions started asynchronously, and how. The drain is retried: a failed drain leaves a device
 * without what it missed until its next sync, and running it again is harmless (cursors move only on
 * receipts). The sweeper is not: its next run is a minute away and covers the same connections.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export const ASYNC_INVOCATIONS = {
  drain: { retryAttempts: 2, maxEventAge: Duration.minutes(30) },
  sweeper: { retryAttempts: 0, maxEventAge: Duration.minutes(1) },
} as const satisfies Partial<Record<FunctionName, AsyncInvocationSettings>>;

export type AsyncFunctionName = keyof typeof ASYNC_INVOCATIONS;

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
        maxEventAge: settings.maxEventAge,
        onFailure: new SqsDestination(queue),
      });
      queues[name] = queue;
    }
    this.queues = queues;
  }
}
