import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AsyncFunctionName } from '../contract/invocations';
import {
  ERROR_CODE_DIMENSION,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
} from '../contract/metrics';
import { AUTHORIZER, type FunctionName } from '../contract/routes';
import type { ChatFunction } from './chat-function';
import type { ChatTables } from './chat-tables';
import type { ChatSocketApi } from './socket-api';

export interface ChatObservabilityProps {
  readonly socketApi: ChatSocketApi;
  readonly tables: ChatTables;
  /** Where Lambda puts the events of asynchronously started functions that it gave up on. */
  readonly failureQueues: Readonly<Record<AsyncFunctionName, Queue>>;
  /**
   * Notified when an alarm goes off and when it clears.
   * @default - alarms change state without notifying anyone
   */
  readonly alarmTopic?: ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/** Every alarm's description ends with where docs/runbook.md says what it means and what to do. */
const RUNBOOK = 'docs/runbook.md#';

/** The alarms, by what they watch; each has a section of docs/runbook.md. */
export type AlarmKind =
  | 'function-errors'
  | 'function-throttles'
  | 'drain-failures'
  | 'drain-falling-behind'
  | 'sweeper-failures'
  | 'push-failures'
  | 'api-integration-errors'
  | 'api-execution-errors'
  | 'dynamodb-throttling'
  | 'internal-error-rate';

/** A drain waits this long in Lambda's queue before it counts as falling behind. */
export const DRAIN_MAX_AGE_MS = 60_000;
/** INTERNAL answers, as a percentage of frames, above which something is broken. */
export const INTERNAL_ERROR_PERCENT = 1;

/**
 * Alarms and a dashboard built from the same constructs as the functions, the API and the tables, so
 * a new function, route, table or index is watched without a change here.
 */
export class ChatObservability extends Construct {
  readonly alarms: ReadonlyMap<string, { readonly alarm: Alarm; readonly kind: AlarmKind }>;
  readonly dashboard: Dashboard;

  private readonly alarmList = new Map<string, { alarm: Alarm; kind: AlarmKind }>();
  private readonly props: ChatObservabilityProps;
  private readonly functions: [FunctionName, ChatFunction][];

  constructor(scope: Construct, id: string, props: ChatObservabilityProps) {
    super(scope, id);
    this.props = props;
    this.functions = Object.entries(props.socketApi.functions) as [FunctionName, ChatFunction][];
    this.alarms = this.alarmList;

    this.functionAlarms();
    this.asyncAlarms();
    this.apiAlarms();
    this.tableAlarms();
    this.internalErrorRateAlarm();
    this.dashboard = this.buildDashboard();
  }

  private addAlarm(
    id: string,
    kind: AlarmKind,
    metric: IMetric,
    options: { threshold: number; description: string; evaluationPeriods?: number },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      // No data means no traffic, not a failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${options.description} Runbook: ${RUNBOOK}${kind}`,
    });
    if (this.props.alarmTopic) {
      const action = new SnsAction(this.props.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarmList.set(id, { alarm, kind });
    return alarm;
  }

  private functionAlarms(): void {
    for (const [name, fn] of this.functions) {
      const id = pascal(name);
      // The authorizer answers every refused token by throwing "Unauthorized" (API Gateway's 401),
      // which Lambda counts as an error: its errors are refusals, logged with their reason.
      if (name !== AUTHORIZER.function) {
        this.addAlarm(`${id}Errors`, 'function-errors', fn.metricErrors({ period: FIVE_MINUTES }), {
          threshold: 1,
          description: `The ${name} function failed (an unhandled error or a timeout).`,
        });
      }
      this.addAlarm(`${id}Throttles`, 'function-throttles', fn.metricThrottles({ period: FIVE_MINUTES }), {
        threshold: 1,
        description: `Lambda refused to run the ${name} function: the account or function concurrency limit was reached.`,
      });
    }
  }

  /** Events Lambda dropped without putting them in the failure queue, or could not put there. */
  private droppedEvents(name: 'drain' | 'push'): MathExpression {
    const fn = this.props.socketApi.functions[name];
    return new MathExpression({
      expression: 'dropped + deliveryFailures',
      usingMetrics: {
        dropped: lambdaMetric(fn, 'AsyncEventsDropped', 'Sum', FIVE_MINUTES),
        deliveryFailures: lambdaMetric(fn, 'DestinationDeliveryFailures', 'Sum', FIVE_MINUTES),
      },
      period: FIVE_MINUTES,
      label: `${name} events dropped`,
    });
  }

  private asyncAlarms(): void {
    const drain = this.props.socketApi.functions.drain;
    this.addAlarm('DrainEventsDropped', 'drain-failures', this.droppedEvents('drain'), {
      threshold: 1,
      description:
        'Lambda dropped drain events without putting them in the failure queue (the queue could not take them, or they expired before it could).',
    });
    this.addAlarm(
      'DrainFailuresQueued',
      'drain-failures',
      this.props.failureQueues.drain.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE }),
      {
        threshold: 1,
        description: 'Drains failed after their retries and wait in the drain failure queue for replay.',
      },
    );
    this.addAlarm(
      'DrainFallingBehind',
      'drain-falling-behind',
      lambdaMetric(drain, 'AsyncEventAge', 'Maximum', ONE_MINUTE),
      {
        threshold: DRAIN_MAX_AGE_MS,
        evaluationPeriods: 3,
        description: `Drain events waited more than ${DRAIN_MAX_AGE_MS / 1000} s before running, three minutes in a row: devices get what they missed late.`,
      },
    );
    this.addAlarm(
      'SweeperFailuresQueued',
      'sweeper-failures',
      this.props.failureQueues.sweeper.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE }),
      {
        threshold: 1,
        description: 'A sweeper run failed or could not start; lapsed connections stay until a run succeeds.',
      },
    );
    this.addAlarm(
      'PushFailuresQueued',
      'push-failures',
      this.props.failureQueues.push.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE }),
      {
        threshold: 1,
        description:
          'Pushes failed after their retries (a push service down, slow or refusing): offline recipients were not notified; their messages wait on the server.',
      },
    );
    this.addAlarm('PushEventsDropped', 'push-failures', this.droppedEvents('push'), {
      threshold: 1,
      description:
        'Lambda dropped push events without putting them in the failure queue (older than the maximum event age, or the queue refused them).',
    });
  }

  private apiAlarms(): void {
    this.addAlarm('ApiIntegrationErrors', 'api-integration-errors', this.apiMetric('IntegrationError'), {
      threshold: 5,
      description: 'Route functions answered API Gateway with errors (a failed or timed-out invocation).',
    });
    this.addAlarm('ApiExecutionErrors', 'api-execution-errors', this.apiMetric('ExecutionError'), {
      threshold: 5,
      description:
        'API Gateway could not call a route function (its 5xx): permissions, throttling or an outage.',
    });
  }

  private tableAlarms(): void {
    for (const definition of this.props.tables.definitions) {
      const tableName = this.props.tables.table(definition.name).tableName;
      this.addAlarm(
        `${pascal(definition.name)}TableThrottled`,
        'dynamodb-throttling',
        throttleEvents({ TableName: tableName }, `${definition.name} throttled`),
        { threshold: 1, description: `DynamoDB throttled reads or writes on the ${definition.name} table.` },
      );
      for (const index of definition.globalIndexes) {
        this.addAlarm(
          `${pascal(definition.name)}${pascal(index.indexName)}Throttled`,
          'dynamodb-throttling',
          throttleEvents(
            { TableName: tableName, GlobalSecondaryIndexName: index.indexName },
            `${definition.name}/${index.indexName} throttled`,
          ),
          {
            threshold: 1,
            description: `DynamoDB throttled writes to the ${index.indexName} index of the ${definition.name} table, which throttles the table's writes too.`,
          },
        );
      }
      // Local indexes share the table's capacity: the table's alarm covers them.
    }
  }

  private internalErrorRateAlarm(): void {
    this.addAlarm(
      'InternalErrorRate',
      'internal-error-rate',
      new MathExpression({
        expression: 'IF(frames > 0, 100 * FILL(internal, 0) / frames, 0)',
        usingMetrics: {
          internal: this.chatMetric('Errors', { [ERROR_CODE_DIMENSION]: 'INTERNAL' }),
          frames: this.chatMetric('Requests'),
        },
        period: FIVE_MINUTES,
        label: 'INTERNAL answers (% of frames)',
      }),
      {
        threshold: INTERNAL_ERROR_PERCENT,
        evaluationPeriods: 2,
        description: `More than ${INTERNAL_ERROR_PERCENT}% of frames were answered INTERNAL for ten minutes.`,
      },
    );
  }

  /** One of the functions' own metrics (contract/metrics.ts) for this stack. */
  chatMetric(name: MetricName, dimensions: Record<string, string> = {}, statistic = 'Sum'): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: Stack.of(this).stackName, ...dimensions },
      statistic,
      period: FIVE_MINUTES,
    });
  }

  private apiMetric(name: string, statistic = 'Sum'): Metric {
    return new Metric({
      namespace: 'AWS/ApiGateway',
      metricName: name,
      dimensionsMap: { ApiId: this.props.socketApi.api.apiId, Stage: this.props.socketApi.stage.stageName },
      statistic,
      period: FIVE_MINUTES,
    });
  }

  private buildDashboard(): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const perFunction = (metric: (fn: ChatFunction) => IMetric) => this.functions.map(([, fn]) => metric(fn));
    const tables = this.props.tables.definitions.map((definition) => ({
      definition,
      tableName: this.props.tables.table(definition.name).tableName,
    }));
    const searchErrors = `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${ERROR_CODE_DIMENSION}} MetricName="Errors" ${SERVICE_DIMENSION}="${Stack.of(this).stackName}"', 'Sum', 300)`;

    dashboard.addWidgets(
      new TextWidget({
        markdown: `# Chat (${Stack.of(this).stackName})\nWhat each alarm means and what to do: ${RUNBOOK.replace('#', '')} in the repository.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Traffic: connections and messages (API Gateway)',
        left: [this.apiMetric('ConnectCount'), this.apiMetric('MessageCount')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Traffic: messages stored, duplicates, frames',
        left: [this.chatMetric('MessagesStored'), this.chatMetric('DuplicatesAnswered')],
        right: [this.chatMetric('Requests')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Delivery: posts sent and gone (410), presence posts',
        left: [this.chatMetric('PostsSent'), this.chatMetric('PostsGone'), this.chatMetric('PresencePosts')],
        right: [this.chatMetric('PresencePosts', {}, 'Average')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Latency: integration (API Gateway, p50 and p99)',
        left: [this.apiMetric('IntegrationLatency', 'p50'), this.apiMetric('IntegrationLatency', 'p99')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Latency: function duration p99',
        left: perFunction((fn) => fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES })),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Errors: API Gateway',
        left: [
          this.apiMetric('IntegrationError'),
          this.apiMetric('ExecutionError'),
          this.apiMetric('ClientError'),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Errors: error frames by code',
        left: [new MathExpression({ expression: searchErrors, period: FIVE_MINUTES })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Errors: functions',
        left: perFunction((fn) => fn.metricErrors({ period: FIVE_MINUTES })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Throttles: functions',
        left: perFunction((fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Throttles: DynamoDB tables and indexes',
        left: tables.flatMap(({ definition, tableName }) => [
          throttleEvents({ TableName: tableName }, definition.name),
          ...definition.globalIndexes.map((index) =>
            throttleEvents(
              { TableName: tableName, GlobalSecondaryIndexName: index.indexName },
              `${definition.name}/${index.indexName}`,
            ),
          ),
        ]),
        width: 8,
      }),
      new GraphWidget({
        title: 'Sends: sequence conflicts, BUSY, rate limited',
        left: [
          this.chatMetric('SequenceConflicts'),
          this.chatMetric('Errors', { [ERROR_CODE_DIMENSION]: 'BUSY' }),
          this.chatMetric('RateLimited'),
        ],
        width: 8,
      }),
    );
    const drain = this.props.socketApi.functions.drain;
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Drain: event age (max) and events dropped',
        left: [lambdaMetric(drain, 'AsyncEventAge', 'Maximum', ONE_MINUTE)],
        right: [lambdaMetric(drain, 'AsyncEventsDropped', 'Sum', FIVE_MINUTES)],
        width: 8,
      }),
      new GraphWidget({
        title: 'Drain: syncs and messages drained',
        left: [this.chatMetric('SyncBatches'), this.chatMetric('SyncsAbandoned')],
        right: [this.chatMetric('SyncMessages')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Failure queues: events waiting for replay',
        left: Object.entries(this.props.failureQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, label: name }),
        ),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Cost: API Gateway messages, Lambda invocations',
        left: [this.apiMetric('MessageCount')],
        right: [
          new MathExpression({
            expression: this.functions.map(([name]) => `i${name}`).join(' + '),
            usingMetrics: Object.fromEntries(
              this.functions.map(([name, fn]) => [
                `i${name}`,
                fn.metricInvocations({ period: FIVE_MINUTES }),
              ]),
            ),
            label: 'Lambda invocations (all functions)',
            period: FIVE_MINUTES,
          }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Cost: DynamoDB capacity units consumed',
        left: tables.flatMap(({ definition, tableName }) => [
          dynamoMetric('ConsumedReadCapacityUnits', { TableName: tableName }, `${definition.name} RCU`),
          dynamoMetric('ConsumedWriteCapacityUnits', { TableName: tableName }, `${definition.name} WCU`),
        ]),
        width: 8,
      }),
      new GraphWidget({
        title: 'Cost: function duration (sum, ms)',
        left: perFunction((fn) => fn.metricDuration({ statistic: 'Sum', period: FIVE_MINUTES })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new AlarmWidget({
        title: 'INTERNAL answers (% of frames)',
        alarm: this.alarm('InternalErrorRate'),
        width: 12,
      }),
      new AlarmWidget({ title: 'Drain event age', alarm: this.alarm('DrainFallingBehind'), width: 12 }),
    );
    return dashboard;
  }

  private alarm(id: string): Alarm {
    const found = this.alarmList.get(id);
    if (!found) throw new Error(`No alarm ${id}`);
    return found.alarm;
  }
}

function pascal(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function lambdaMetric(fn: ChatFunction, name: string, statistic: string, period: Duration): Metric {
  return new Metric({
    namespace: 'AWS/Lambda',
    metricName: name,
    dimensionsMap: { FunctionName: fn.functionName },
    statistic,
    period,
  });
}

function dynamoMetric(name: string, dimensions: Record<string, string>, label: string): Metric {
  return new Metric({
    namespace: 'AWS/DynamoDB',
    metricName: name,
    dimensionsMap: dimensions,
    statistic: 'Sum',
    period: FIVE_MINUTES,
    label,
  });
}

/** Read and write requests DynamoDB throttled, for a table or one of its global indexes. */
function throttleEvents(dimensions: Record<string, string>, label: string): MathExpression {
  // Metric ids are unique within a graph, which shows several tables and indexes.
  const key = label.replace(/[^A-Za-z0-9]/g, '');
  return new MathExpression({
    expression: `FILL(reads${key}, 0) + FILL(writes${key}, 0)`,
    usingMetrics: {
      [`reads${key}`]: dynamoMetric('ReadThrottleEvents', dimensions, 'reads'),
      [`writes${key}`]: dynamoMetric('WriteThrottleEvents', dimensions, 'writes'),
    },
    period: FIVE_MINUTES,
    label,
  });
}
