import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatStack } from '../../lib/chat-stack';
import { chatStackWithoutBundling } from './app';
import { actionsOf, type PolicyStatementJson, resourcesOfType } from './template';

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/**
 * Runs the AwsSolutions and Serverless packs on a construct tree, as `cdk synth` does through the
 * validation plugins (bin/chat.ts).
 */
function nagFindings(scope: IConstruct, options: { ignoreAcknowledgments?: boolean } = {}): Finding[] {
  const packs = [
    new AwsSolutionsChecks(undefined, { verbose: true }),
    new ServerlessChecks(undefined, { verbose: true }),
  ];
  return packs.flatMap((pack) => {
    if (options.ignoreAcknowledgments) {
      // Lets the test see every finding, to prove each acknowledgment still matches one.
      Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
    }
    return findingsOf(pack.validateScope(scope));
  });
}

function findingsOf(report: ReturnType<AwsSolutionsChecks['validateScope']>): Finding[] {
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'unknown',
      path: resource.constructPath ?? '',
    })),
  );
}

interface Acknowledgment {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

function acknowledgmentsIn(scope: IConstruct): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      const data: unknown = entry.data;
      if (typeof data !== 'object' || data === null) continue;
      for (const [rule, reason] of Object.entries(data)) {
        found.push({
          path: construct.node.path,
          rule: rule.replace(/^annotation::/i, ''),
          reason: String(reason),
        });
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions and Serverless checks', () => {
  let stack: ChatStack;

  beforeAll(() => {
    stack = chatStackWithoutBundling();
  });

  it('reports no unacknowledged error or warning for the stack', () => {
    const findings = nagFindings(stack);
    expect(findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    expect(findings.filter((finding) => finding.severity === 'warning')).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('reports no unacknowledged finding with the deploy options that change resources', () => {
    expect(nagFindings(chatStackWithoutBundling({ apiAccessLogging: false }))).toEqual([]);
    expect(
      nagFindings(
        chatStackWithoutBundling({
          apiGatewayCloudWatchRole: true,
          alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:chat-alarms',
        }),
      ),
    ).toEqual([]);
  });

  it('acknowledges only findings that exist, each with a written reason', () => {
    const all = nagFindings(stack, { ignoreAcknowledgments: true });
    const acknowledgments = acknowledgmentsIn(stack);
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const acknowledgment of acknowledgments) {
      const matched = all.some(
        (finding) =>
          finding.rule === acknowledgment.rule &&
          (finding.path === acknowledgment.path || finding.path.startsWith(`${acknowledgment.path}/`)),
      );
      expect(matched, `${acknowledgment.rule} at ${acknowledgment.path} matches no finding`).toBe(true);
      expect(
        acknowledgment.reason.length,
        `${acknowledgment.rule} at ${acknowledgment.path}`,
      ).toBeGreaterThan(60);
    }
  });

  it('acknowledges no managed policy, and no wildcard on the whole account but X-Ray tracing', () => {
    const rules = acknowledgmentsIn(stack).map((acknowledgment) => acknowledgment.rule);
    expect(rules).not.toContain('AwsSolutions-IAM4');
    expect(rules).not.toContain('AwsSolutions-IAM5');
    expect(rules.filter((rule) => rule.includes('Action::*]'))).toEqual([]);
    // X-Ray's actions take no resource-level permissions: they are the only ones granted on "*".
    const onEverything = Object.values(resourcesOfType(Template.fromStack(stack), 'AWS::IAM::Policy'))
      .flatMap((policy) => {
        const document = policy.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] };
        return document.Statement;
      })
      .filter((statement) => statement.Resource === '*');
    expect(onEverything.length).toBeGreaterThan(0);
    for (const statement of onEverything) {
      expect(actionsOf(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('still reports a wildcard added to the web deployment role after CDK granted its own', () => {
    const withExtra = chatStackWithoutBundling();
    withExtra.web.deployment.handlerRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutBucket*'], resources: [withExtra.web.bucket.bucketArn] }),
    );
    expect(nagFindings(withExtra)).toContainEqual({
      rule: 'AwsSolutions-IAM5[Action::s3:PutBucket*]',
      severity: 'error',
      path: `${withExtra.node.path}/Web/DeploymentRole/DefaultPolicy/Resource`,
    });
  });

  it('still reports a finding that nobody acknowledged', () => {
    const withExtra = chatStackWithoutBundling();
    new Bucket(withExtra, 'UnloggedBucket', { enforceSSL: true });
    const findings = nagFindings(withExtra);
    expect(findings).toContainEqual({
      rule: 'AwsSolutions-S1',
      severity: 'error',
      path: `${withExtra.node.path}/UnloggedBucket/Resource`,
    });
  });
});
