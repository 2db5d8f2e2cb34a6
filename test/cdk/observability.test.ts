import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ASYNC_INVOCATIONS } from '../../contract/invocations';
import { FUNCTIONS, type FunctionName } from '../../contract/routes';
import { TABLES } from '../../contract/tables';
import { DRAIN_MAX_AGE_MS } from '../../lib/observability';
import { chatStackWithoutBundling } from './app';
import { logicalIdOf, resource, resourcesOfType } from './template';

const FUNCTION_NAMES = Object.keys(FUNCTIONS).filter((name): name is FunctionName =>
  Object.hasOwn(FUNCTIONS, name),
);

const stack = chatStackWithoutBundling();
const template = Template.fromStack(stack);
const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
const json = (value: unknown) => JSON.stringify(value);

/** The alarms whose metrics (plain or inside a math expression) mention every given fragment. */
function alarmsOn(...fragments: string[]) {
  return alarms.filter((alarm) => fragments.every((fragment) => json(alarm.Properties).includes(fragment)));
}

describe('tracing', () => {
  it.each(FUNCTION_NAMES)('traces %s with X-Ray (active)', (name) => {
    const fn = resource(template, logicalIdOf(stack, stack.socketApi.functions[name].functionArn));
    expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
  });
});

describe('failure paths', () => {
  it.each(Object.entries(ASYNC_INVOCATIONS))(
    'retries %s as set and sends what Lambda gives up on to its own encrypted queue',
    (name, settings) => {
      const functionId = logicalIdOf(stack, stack.socketApi.functions[name as FunctionName].functionArn);
      const queue = stack.failurePaths.queues[name as keyof typeof ASYNC_INVOCATIONS];
      const queueId = logicalIdOf(stack, queue.queueArn);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId },
        MaximumRetryAttempts: settings.retryAttempts,
        MaximumEventAgeInSeconds: settings.maxEventAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      expect(resource(template, queueId).Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    },
  );

  it('gives every asynchronously started function, and only those, a failure destination', () => {
    const configs = Object.values(resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(Object.keys(ASYNC_INVOCATIONS).length);
  });

  it("puts a sweeper run EventBridge could not start in the sweeper's queue", () => {
    const queueId = logicalIdOf(stack, stack.failurePaths.queues.sweeper.queueArn);
    const rule = Object.values(resourcesOfType(template, 'AWS::Events::Rule'))[0];
    expect(json(rule?.Properties?.Targets)).toContain(json({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }));
  });

  it('alarms as soon as one event waits in a failure queue', () => {
    for (const queue of Object.values(stack.failurePaths.queues)) {
      const queueName = json({ 'Fn::GetAtt': [logicalIdOf(stack, queue.queueArn), 'QueueName'] });
      expect(alarmsOn('ApproximateNumberOfMessagesVisible', queueName)).toHaveLength(1);
    }
  });
});

describe('alarms', () => {
  it.each(FUNCTION_NAMES)('watches %s for throttles, and for errors unless it is the authorizer', (name) => {
    const functionRef = json({ Ref: logicalIdOf(stack, stack.socketApi.functions[name].functionArn) });
    expect(alarmsOn('"MetricName":"Throttles"', functionRef)).toHaveLength(1);
    // The authorizer's errors are its refusals (API Gateway's 401): alarming on them would cry wolf.
    expect(alarmsOn('"MetricName":"Errors"', '"Namespace":"AWS/Lambda"', functionRef)).toHaveLength(
      name === 'authorizer' ? 0 : 1,
    );
  });

  it('watches every table and every global index for throttled requests', () => {
    for (const table of TABLES) {
      const tableRef = json({ Ref: logicalIdOf(stack, stack.tables.table(table.name).tableName) });
      const onTable = alarmsOn('ReadThrottleEvents', 'WriteThrottleEvents', tableRef);
      expect(onTable.filter((alarm) => !json(alarm).includes('GlobalSecondaryIndexName'))).toHaveLength(1);
      for (const index of table.globalIndexes) {
        expect(alarmsOn('ThrottleEvents', tableRef, `"Value":"${index.indexName}"`)).toHaveLength(1);
      }
    }
  });

  it('watches the drain for dropped events and for falling behind', () => {
    const drainRef = json({ Ref: logicalIdOf(stack, stack.socketApi.functions.drain.functionArn) });
    expect(alarmsOn('AsyncEventsDropped', 'DestinationDeliveryFailures', drainRef)).toHaveLength(1);
    const behind = alarmsOn('AsyncEventAge', drainRef);
    expect(behind).toHaveLength(1);
    expect(behind[0]?.Properties).toMatchObject({ Threshold: DRAIN_MAX_AGE_MS, EvaluationPeriods: 3 });
  });

  it("watches the API's integration errors and execution errors on the stage", () => {
    const apiRef = json({ Ref: logicalIdOf(stack, stack.socketApi.api.apiId) });
    for (const metric of ['IntegrationError', 'ExecutionError']) {
      expect(alarmsOn(`"MetricName":"${metric}"`, apiRef, '"Value":"live"')).toHaveLength(1);
    }
  });

  it('watches the share of frames answered INTERNAL, from the functions own metrics', () => {
    const [rate, ...others] = alarmsOn('"MetricName":"Requests"', '"Value":"INTERNAL"');
    expect(others).toEqual([]);
    expect(json(rate?.Properties)).toContain(`"Value":"${stack.stackName}"`);
    expect(json(rate?.Properties)).toContain('"Namespace":"ServerlessChat"');
  });

  it('points every alarm at its section of the runbook, and the runbook has each section', () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((match) =>
        (match[1] ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    expect(alarms.length).toBeGreaterThan(FUNCTION_NAMES.length * 2);
    for (const alarm of alarms) {
      const anchor = /docs\/runbook\.md#([a-z-]+)/.exec(String(alarm.Properties?.AlarmDescription))?.[1];
      expect(anchor, String(alarm.Properties?.AlarmDescription)).toBeDefined();
      expect(anchors.has(anchor ?? ''), anchor).toBe(true);
    }
  });

  it('notifies nobody by default, and the given SNS topic of alarms and recoveries', () => {
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toBeUndefined();
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:chat-alarms';
    const notifying = Template.fromStack(chatStackWithoutBundling({ alarmTopicArn: topicArn }));
    const withTopic = Object.values(resourcesOfType(notifying, 'AWS::CloudWatch::Alarm'));
    expect(withTopic).toHaveLength(alarms.length);
    for (const alarm of withTopic) {
      expect(alarm.Properties?.AlarmActions).toEqual([topicArn]);
      expect(alarm.Properties?.OKActions).toEqual([topicArn]);
    }
  });
});

describe('dashboard', () => {
  it('shows traffic, latency, errors, throttles and cost drivers', () => {
    const dashboards = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = json(dashboards[0]?.Properties?.DashboardBody);
    for (const title of ['Traffic', 'Latency', 'Errors', 'Throttles', 'Cost']) expect(body).toContain(title);
    for (const metric of [
      'ConnectCount',
      'MessageCount',
      'IntegrationLatency',
      'MessagesStored',
      'ConsumedWriteCapacityUnits',
      'WriteThrottleEvents',
      'AsyncEventAge',
    ]) {
      expect(body).toContain(metric);
    }
  });
});
