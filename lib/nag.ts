import { Stack, Validations } from 'aws-cdk-lib';
import type { Grant } from 'aws-cdk-lib/aws-iam';
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

/** The IAM5 finding ids for the wildcards in the statements `grant` added to its principal. */
export function wildcardFindings(grant: Grant, stack: Stack): string[] {
  const findings = new Set<string>();
  for (const statement of grant.principalStatements) {
    for (const action of statement.actions) {
      if (action.includes('*')) {
        findings.add(`AwsSolutions-IAM5[Action::${action}]`);
      }
    }
    for (const resource of statement.resources) {
      const flat = flattenCfnValue(stack.resolve(resource));
      if (flat.includes('*')) {
        findings.add(`AwsSolutions-IAM5[Resource::${flat}]`);
      }
    }
  }
  return [...findings];
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
