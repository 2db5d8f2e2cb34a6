import { randomBytes } from 'node:crypto';
import { FUNCTIONS, type FunctionDefinition, type FunctionName } from '../contract/routes';
import { TABLES } from '../contract/tables';
import { ACCOUNT_ID, REGION } from './gateway/lambda-runtime';
import type { AwsCall } from './gateway/types';
import { localTableName } from './provision';
import type { AwsDenial } from './signature';

export interface FunctionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const isFunctionName = (name: string): name is FunctionName => Object.hasOwn(FUNCTIONS, name);

/**
 * IAM for the local runtime. Each function signs its calls with a key pair of its own (as each Lambda
 * function has its execution role), and every call it makes is checked against its contract entry, the
 * same entry the CDK stack builds the role's policy from (lib/chat-function.ts, lib/socket-api.ts): a
 * call the entry does not grant is refused with the error AWS answers for an IAM denial.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export class LocalIam {
  private readonly keys = new Map<string, { name: FunctionName; secretAccessKey: string }>();

  /**
   * @param operator the runtime's own key pair, which tools and operator commands (bin/) sign with: like
   * an administrator's, it may make any call. The functions never hold it.
   */
  constructor(private readonly operator: FunctionCredentials) {
    for (const name of Object.keys(FUNCTIONS).filter(isFunctionName)) {
      // A fresh secret per runtime: only the functions it started can sign as them.
      this.keys.set(`LOCAL${name.toUpperCase()}`, { name, secretAccessKey: randomBytes(20).toString('hex') });
    }
  }

  credentialsOf(name: FunctionName): FunctionCredentials {
    for (const [accessKeyId, key] of this.keys) {
      if (key.name === name) return { accessKeyId, secretAccessKey: key.secretAccessKey };
    }
    throw new Error(`No credentials for function ${name}`);
  }

  secretFor(accessKeyId: string): string | undefined {
    if (accessKeyId === this.operator.accessKeyId) return this.operator.secretAccessKey;
    return this.keys.get(accessKeyId)?.secretAccessKey;
  }

  /** Undefined when the caller's contract entry grants the call, else the denial to answer. */
  authorize(accessKeyId: string, call: AwsCall): AwsDenial | undefined {
    if (accessKeyId === this.operator.accessKeyId) return undefined;
    const name = this.keys.get(accessKeyId)?.name;
    const { action, resource } = describeCall(call);
    if (name !== undefined && grants(FUNCTIONS[name], call)) return undefined;
    const role = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/chat-${name ?? 'unknown'}-role/${name ?? 'unknown'}`;
    const message = `User: ${role} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
    return call.service === 'execute-api'
      ? { statusCode: 403, errorType: 'ForbiddenException', message }
      : { statusCode: call.service === 'dynamodb' ? 400 : 403, errorType: 'AccessDeniedException', message };
  }
}

function grants(definition: FunctionDefinition, call: AwsCall): boolean {
  switch (call.service) {
    case 'dynamodb': {
      const table = TABLES.find((candidate) => localTableName(candidate.name) === call.table);
      const grant = table === undefined ? undefined : definition.tables[table.name];
      if (grant === undefined) return false;
      if (call.index === undefined) return (grant.actions as readonly string[]).includes(call.action);
      return call.action === 'Query' && (grant.queryIndexes ?? []).includes(call.index);
    }
    case 'execute-api':
      return (definition.connections ?? []).includes(call.method);
    case 'lambda':
      return (definition.invokes ?? []).includes(call.functionName);
  }
}

function describeCall(call: AwsCall): { action: string; resource: string } {
  switch (call.service) {
    case 'dynamodb':
      return {
        action: `dynamodb:${call.action}`,
        resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${call.table}${call.index ? `/index/${call.index}` : ''}`,
      };
    case 'execute-api':
      return {
        action: 'execute-api:ManageConnections',
        resource: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${call.apiId}/${call.stage}/${call.method}/@connections/${call.connectionId}`,
      };
    case 'lambda':
      return {
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${call.functionName}`,
      };
  }
}
