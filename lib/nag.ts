import { Stack, Validations } from 'aws-cdk-lib';
import type { Grant, Policy } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag 3 reports each IAM wildcard as its own finding, `AwsSolutions-IAM5[Resource::<flat ARN>]` or
 * `AwsSolutions-IAM5[Action::<action>]`, and acknowledges only exact finding ids. These helpers compute
 * the ids from the statements a grant added, so an acknowledgment covers exactly those wildcards and a
 * new wildcard elsewhere still fails the check.
 */

/** How cdk-nag writes a CloudFormation value in a finding id (its `flattenCfnReference`). */
export function flattenCfnValue(value: unknown): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  }
  if (typeof value === 'object' && value !== null) {
    if ('Fn::Join' in value) {
      const join: unknown = value['Fn::Join'];
      if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
        const items: unknown[] = join[1];
        return items.map(flattenCfnValue).join(join[0]);
      }
    }
    if ('Fn::Sub' in value) {
      return flattenCfnValue(value['Fn::Sub']);
    }
    if ('Fn::GetAtt' in value) {
      const getAtt: unknown = value['Fn::GetAtt'];
      if (Array.isArray(getAtt)) {
        return `<${flattenCfnValue(getAtt[0])}.${flattenCfnValue(getAtt[1])}>`;
      }
    }
    if ('Fn::ImportValue' in value) {
      return flattenCfnValue(value['Fn::ImportValue']);
    }
    if ('Ref' in value) {
      return `<${flattenCfnValue(value.Ref)}>`;
    }
  }
  return JSON.stringify(value);
}

/** A policy statement as cdk-nag reads it: its actions, and its resources flattened. */
export interface FlatStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** The IAM5 finding id of one action or flattened resource, if it has a wildcard. */
export function wildcardFinding(kind: 'Action' | 'Resource', value: string): string | undefined {
  return value.includes('*') ? `AwsSolutions-IAM5[${kind}::${value}]` : undefined;
}

/** The IAM5 finding ids for the wildcards in the statements `grant` added to its principal. */
export function wildcardFindings(grant: Grant, stack: Stack): string[] {
  const findings = new Set<string>();
  for (const statement of grant.principalStatements) {
    for (const action of statement.actions) {
      const finding = wildcardFinding('Action', action);
      if (finding) findings.add(finding);
    }
    for (const resource of statement.resources) {
      const finding = wildcardFinding('Resource', flattenCfnValue(stack.resolve(resource)));
      if (finding) findings.add(finding);
    }
  }
  return [...findings];
}

/**
 * The statements of a policy as they were added (before IAM minimizing merges them), for policies that
 * someone else, such as a CDK construct, wrote, so no Grant is at hand.
 */
export function flatStatementsOf(policy: Policy): FlatStatement[] {
  // Rendered first: resolving the PolicyDocument itself would freeze and merge its statements early.
  const document: unknown = Stack.of(policy).resolve(policy.document.toJSON());
  return listField(document, 'Statement').map((statement) => ({
    actions: listField(statement, 'Action').filter((action) => typeof action === 'string'),
    resources: listField(statement, 'Resource').map(flattenCfnValue),
  }));
}

/** A policy field that may hold one value or a list, as a list. */
function listField(value: unknown, name: string): unknown[] {
  if (typeof value !== 'object' || value === null || !(name in value)) {
    return [];
  }
  const field: unknown = (value as Record<string, unknown>)[name];
  return Array.isArray(field) ? field : [field];
}

/** Acknowledges, on `scope` (usually the grantee's role), each wildcard that `grant` introduced. */
export function acknowledgeGrantWildcards(scope: IConstruct, grant: Grant, reason: string): string[] {
  const findings = wildcardFindings(grant, Stack.of(scope));
  for (const id of findings) {
    Validations.of(scope).acknowledge({ id, reason });
  }
  return findings;
}

/** One acknowledgment with its written reason; cdk-nag 3 takes them one id at a time. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
