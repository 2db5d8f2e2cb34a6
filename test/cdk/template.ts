import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** Helpers that read a synthesized template as plain data, so tests can assert exact values. */

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: unknown;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asResource(logicalId: string, value: unknown): CfnResourceJson {
  if (!isRecord(value) || typeof value.Type !== 'string') {
    throw new Error(`${logicalId} is not a CloudFormation resource`);
  }
  const properties = value.Properties;
  return {
    Type: value.Type,
    Properties: isRecord(properties) ? properties : undefined,
    DeletionPolicy: typeof value.DeletionPolicy === 'string' ? value.DeletionPolicy : undefined,
    UpdateReplacePolicy:
      typeof value.UpdateReplacePolicy === 'string' ? value.UpdateReplacePolicy : undefined,
    DependsOn: value.DependsOn,
  };
}

export function resourcesOfType(template: Template, type: string): Record<string, CfnResourceJson> {
  const found: Record<string, CfnResourceJson> = {};
  for (const [logicalId, value] of Object.entries(template.findResources(type))) {
    found[logicalId] = asResource(logicalId, value);
  }
  return found;
}

export function resource(template: Template, logicalId: string): CfnResourceJson {
  const json: unknown = template.toJSON();
  const resources = isRecord(json) ? json.Resources : undefined;
  const found = isRecord(resources) ? resources[logicalId] : undefined;
  if (found === undefined) {
    throw new Error(`No resource ${logicalId} in the template`);
  }
  return asResource(logicalId, found);
}

/** The logical id behind a token such as `table.tableName` (a Ref) or `fn.functionArn` (a GetAtt). */
export function logicalIdOf(stack: Stack, token: string): string {
  const resolved: unknown = stack.resolve(token);
  if (typeof resolved === 'object' && resolved !== null) {
    if ('Ref' in resolved && typeof resolved.Ref === 'string') {
      return resolved.Ref;
    }
    if ('Fn::GetAtt' in resolved) {
      const getAtt: unknown = resolved['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
        return getAtt[0];
      }
    }
  }
  throw new Error(`Token does not resolve to a Ref or GetAtt: ${JSON.stringify(resolved)}`);
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** All statements of the inline policies attached to a role. */
export function statementsForRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const statements: PolicyStatementJson[] = [];
  for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const roles = policy.Properties?.Roles;
    const attached =
      Array.isArray(roles) &&
      roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }));
    if (!attached) {
      continue;
    }
    const document = policy.Properties?.PolicyDocument;
    if (
      typeof document === 'object' &&
      document !== null &&
      'Statement' in document &&
      Array.isArray(document.Statement)
    ) {
      statements.push(...document.Statement);
    }
  }
  return statements;
}

/** Whether a CloudFormation value mentions a resource's logical id (in a Ref or GetAtt). */
export function mentions(value: unknown, logicalId: string): boolean {
  const json = JSON.stringify(value);
  return json.includes(`{"Ref":"${logicalId}"}`) || json.includes(`{"Fn::GetAtt":["${logicalId}",`);
}

/** A template of just one resource, so a `hasResource` pattern cannot match another of the same type. */
export function onlyResource(template: Template, logicalId: string): Template {
  const json: unknown = template.toJSON();
  const resources = isRecord(json) ? json.Resources : undefined;
  const found = isRecord(resources) ? resources[logicalId] : undefined;
  if (found === undefined) {
    throw new Error(`No resource ${logicalId} in the template`);
  }
  return Template.fromJSON({ Resources: { [logicalId]: found } });
}

/** The logical id of the bucket policy of the bucket with `bucketLogicalId`. */
export function bucketPolicyIdOf(template: Template, bucketLogicalId: string): string {
  const [id, ...others] = Object.entries(resourcesOfType(template, 'AWS::S3::BucketPolicy'))
    .filter(([, policy]) => mentions(policy.Properties?.Bucket, bucketLogicalId))
    .map(([logicalId]) => logicalId);
  if (id === undefined || others.length > 0) {
    throw new Error(
      `Expected one policy for bucket ${bucketLogicalId}, found ${others.length + (id ? 1 : 0)}`,
    );
  }
  return id;
}

/** The one Custom::CDKBucketDeployment resource: the web client's deployment. */
export function webDeployment(template: Template): CfnResourceJson {
  const [deployment, ...others] = Object.values(resourcesOfType(template, 'Custom::CDKBucketDeployment'));
  if (deployment === undefined || others.length > 0) {
    throw new Error(`Expected one BucketDeployment, found ${others.length + (deployment ? 1 : 0)}`);
  }
  return deployment;
}

/** The logical id of the Lambda function that runs the web client's deployment. */
export function webDeploymentHandlerId(template: Template): string {
  const serviceToken: unknown = webDeployment(template).Properties?.ServiceToken;
  if (isRecord(serviceToken) && Array.isArray(serviceToken['Fn::GetAtt'])) {
    const [logicalId]: unknown[] = serviceToken['Fn::GetAtt'];
    if (typeof logicalId === 'string') return logicalId;
  }
  throw new Error(`The BucketDeployment's service token is not a function: ${JSON.stringify(serviceToken)}`);
}
