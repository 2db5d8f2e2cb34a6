import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { ENV, type LogLevel } from '../contract/environment';
import {
  FUNCTIONS,
  type FunctionDefinition,
  type FunctionName,
  type TableGrant,
  timeoutSecondsOf,
} from '../contract/routes';
import type { TableDefinition } from '../contract/tables';
import { acknowledge } from './nag';

/** Resolved from this file, so synthesis and tests work from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The lock file NodejsFunction looks for; given explicitly so it is not searched for from the cwd. */
export const DEPS_LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

/** Absolute path of the module that exports a function's `handler`. */
export function handlerEntry(name: FunctionName): string {
  return join(REPO_ROOT, 'lambdas', 'handlers', `${FUNCTIONS[name].entry}.ts`);
}

/**
 * The one definition of how every handler is bundled. CDK's NodejsFunction and the bundle test
 * (test/cdk/bundles.test.ts) both derive their esbuild settings from it, so what the test loads is
 * what Lambda runs.
 */
export const CHAT_BUNDLING = {
  target: 'node22',
  /** Lambda loads the bundle as `index.js` without a package.json, which Node reads as CommonJS. */
  format: 'cjs',
  minify: true,
  sourceMap: true,
  /** Nothing external: the AWS SDK is bundled so the code runs on the SDK versions we tested. */
  externalModules: [],
  /**
   * Prefer packages' ES module builds: esbuild can tree-shake them, which takes about a fifth off
   * every bundle that uses the AWS SDK (whose `main` builds are CommonJS).
   */
  mainFields: ['module', 'main'],
  /** Lambda provides credentials in the environment; see lambdas/adapters/lambda/credentials.ts. */
  alias: { '@aws-sdk/credential-provider-node': './lambdas/adapters/lambda/credentials.ts' },
} as const satisfies {
  readonly target: string;
  readonly format: 'cjs' | 'esm';
  readonly minify: boolean;
  readonly sourceMap: boolean;
  readonly externalModules: readonly string[];
  readonly mainFields: readonly string[];
  readonly alias: Readonly<Record<string, string>>;
};

const OUTPUT_FORMATS: Record<'cjs' | 'esm', OutputFormat> = { cjs: OutputFormat.CJS, esm: OutputFormat.ESM };

/** CHAT_BUNDLING in NodejsFunction's terms. */
export function cdkBundlingOptions(): BundlingOptions {
  return {
    target: CHAT_BUNDLING.target,
    format: OUTPUT_FORMATS[CHAT_BUNDLING.format],
    minify: CHAT_BUNDLING.minify,
    sourceMap: CHAT_BUNDLING.sourceMap,
    externalModules: [...CHAT_BUNDLING.externalModules],
    mainFields: [...CHAT_BUNDLING.mainFields],
    esbuildArgs: Object.fromEntries(
      Object.entries(CHAT_BUNDLING.alias).map(([from, to]) => [`--alias:${from}`, to]),
    ),
    // No Docker on the build machines: bundle with the project's own esbuild, or fail.
    forceDockerBundling: false,
  };
}

/**
 * CHAT_BUNDLING in esbuild's API terms, matching the command line NodejsFunction builds
 * (`esbuild --bundle <entry> --target=… --platform=node --format=… --minify --sourcemap --external:…
 * --main-fields=…`, run from the project root).
 */
export function esbuildOptionsFor(name: FunctionName, outfile: string): BuildOptions {
  return {
    entryPoints: [handlerEntry(name)],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    target: CHAT_BUNDLING.target,
    format: CHAT_BUNDLING.format,
    minify: CHAT_BUNDLING.minify,
    sourcemap: CHAT_BUNDLING.sourceMap,
    external: [...CHAT_BUNDLING.externalModules],
    mainFields: [...CHAT_BUNDLING.mainFields],
    alias: { ...CHAT_BUNDLING.alias },
    outfile,
  };
}

/**
 * Every function's bundle, minified, observability included, stays under this: a bundle's size is
 * most of a cold start's module load (docs/scaling.md, "Bundles and start"). The bundle test and the
 * bench's cold phase both hold each function to it.
 */
export const MAX_BUNDLE_BYTES = 300 * 1024;

/** Runtime every function runs on; the bundling target above must not be newer. */
export const CHAT_RUNTIME = Runtime.NODEJS_22_X;

export interface FunctionLogsAndRoleProps {
  /** Description of the role. */
  readonly description: string;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * A Lambda function's log group (`<id>Logs`) and execution role (`<id>Role`), created in `scope`. The
 * role may write only to that log group: what AWSLambdaBasicExecutionRole would allow, without an AWS
 * managed policy and without access to every log group in the account.
 */
export function functionLogsAndRole(
  scope: Construct,
  id: string,
  props: FunctionLogsAndRoleProps,
): { readonly logs: LogGroup; readonly role: Role } {
  const logs = new LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.description,
  });
  role.addToPolicy(
    new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logs.logGroupArn],
    }),
  );
  return { logs, role };
}

export interface ChatFunctionProps {
  /** The entry of FUNCTIONS this function implements; it decides the handler module. */
  readonly name: FunctionName;
  /**
   * Memory in MB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default - the contract's timeout (timeoutSecondsOf)
   */
  readonly timeout?: Duration;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Lowest level the function logs.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Apply the contract's `reservedConcurrency`. An account must keep 100 unreserved, so accounts with a
   * small concurrency quota (new accounts) turn it off.
   * @default true
   */
  readonly reserveConcurrency?: boolean;
}

/**
 * A handler from lambdas/handlers with the project's defaults: Node 22 on arm64, bundled with
 * CHAT_BUNDLING, source maps on, its own log group, and a role that may only write to that log group
 * until grants are added (no AWS managed policies).
 */
export class ChatFunction extends NodejsFunction {
  /** The FUNCTIONS key this function implements. */
  readonly chatName: FunctionName;
  /** What the contract says this function may touch. */
  readonly definition: FunctionDefinition;
  readonly executionRole: Role;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    const definition: FunctionDefinition = FUNCTIONS[props.name];
    // Created before the function so the function can be pointed at them; they live beside it.
    const { logs, role: executionRole } = functionLogsAndRole(scope, id, {
      description: `Executes the chat ${props.name} function`,
      logRetention: props.logRetention,
    });

    super(scope, id, {
      entry: handlerEntry(props.name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: DEPS_LOCK_FILE,
      runtime: CHAT_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(timeoutSecondsOf(definition)),
      reservedConcurrentExecutions:
        (props.reserveConcurrency ?? true) ? definition.reservedConcurrency : undefined,
      logGroup: logs,
      role: executionRole,
      bundling: cdkBundlingOptions(),
      // Traces connect -> drain and send -> @connections posts through Lambda; the handlers add no
      // X-Ray SDK (docs/scaling.md, bundle sizes).
      tracing: Tracing.ACTIVE,
    });

    this.chatName = props.name;
    this.definition = definition;
    this.executionRole = executionRole;
    this.logs = logs;

    this.addEnvironment('NODE_OPTIONS', '--enable-source-maps');
    this.addEnvironment(ENV.serviceName, Stack.of(this).stackName);
    this.addEnvironment(ENV.logLevel, props.logLevel ?? 'INFO');

    acknowledge(
      executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (the resource must be *).',
    );

    acknowledge(
      this,
      'Serverless-LambdaLatestVersion',
      'Pinned to Node.js 22: the bundled AWS SDK and the handlers are tested on Node 22 (SDK releases need >= 22); move to the next LTS runtime after testing on it.',
    );
    acknowledge(
      this,
      'Serverless-LambdaDLQ',
      'A dead-letter queue applies only to asynchronous invocations. Route functions and the authorizer are invoked synchronously by API Gateway; the drain and the sweeper send failed events to an on-failure destination instead (lib/failure-paths.ts), which keeps the error too.',
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to Node.js 22: the bundled AWS SDK and the handlers are tested on Node 22 (SDK releases need >= 22); move to the next LTS runtime after testing on it.',
    );
  }
}

/**
 * Grants a function exactly the DynamoDB actions its contract entry names on one table (and `Query` on
 * the indexes it names), and hands it the table's name, in one place, so a function never gets a table
 * name without a grant or a grant without the name. No wildcard: CDK's grant families would add Scan,
 * BatchWriteItem and `<table ARN>/index/*`.
 */
export function grantTableAccess(
  fn: ChatFunction,
  table: ITable,
  definition: TableDefinition,
  grant: TableGrant,
): void {
  const indexNames = [...definition.globalIndexes, ...definition.localIndexes].map(
    (index) => index.indexName,
  );
  for (const indexName of grant.queryIndexes ?? []) {
    if (!indexNames.includes(indexName))
      throw new Error(
        `Function ${fn.chatName} queries ${definition.name}/${indexName}, which is not an index`,
      );
  }
  if (grant.actions.length > 0) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: grant.actions.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
      }),
    );
  }
  if (grant.queryIndexes !== undefined && grant.queryIndexes.length > 0) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: grant.queryIndexes.map((indexName) => `${table.tableArn}/index/${indexName}`),
      }),
    );
  }
  fn.addEnvironment(definition.envVar, table.tableName);
}
