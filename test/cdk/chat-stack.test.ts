import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../contract/environment';
import { LIMITS } from '../../contract/limits';
import {
  AUTHORIZER,
  CONNECT_ROUTE,
  environmentNames,
  FUNCTIONS,
  type FunctionDefinition,
  type FunctionName,
  functionNameEnvVar,
  ROUTE_SELECTION_EXPRESSION,
  ROUTES,
  SCHEDULES,
  STAGE,
} from '../../contract/routes';
import { TABLES, type TableDefinition } from '../../contract/tables';
import type { ChatStack } from '../../lib/chat-stack';
import { ChatSchedules } from '../../lib/schedules';
import { chatStackWithoutBundling } from './app';
import {
  actionsOf,
  bucketPolicyIdOf,
  logicalIdOf,
  mentions,
  onlyResource,
  resource,
  resourcesOfType,
  statementsForRole,
  webDeploymentHandlerId,
} from './template';

const FUNCTION_NAMES = Object.keys(FUNCTIONS).filter((name): name is FunctionName =>
  Object.hasOwn(FUNCTIONS, name),
);

function definitionOf(name: FunctionName): FunctionDefinition {
  return FUNCTIONS[name];
}

/** The variables each function must get, derived from the contract alone. */
function expectedEnvironment(name: FunctionName): string[] {
  return ['NODE_OPTIONS', ...environmentNames(name)].sort();
}

function environmentOf(template: Template, stack: ChatStack, name: FunctionName): Record<string, unknown> {
  const fn = resource(template, logicalIdOf(stack, stack.socketApi.functions[name].functionArn));
  const environment = fn.Properties?.Environment;
  if (typeof environment !== 'object' || environment === null || !('Variables' in environment)) {
    throw new Error(`${name} has no environment`);
  }
  const variables: unknown = environment.Variables;
  if (typeof variables !== 'object' || variables === null) {
    throw new Error(`${name} has no environment variables`);
  }
  return { ...variables };
}

/** The stack with default props, synthesized once for every describe below that does not set props. */
const stack: ChatStack = chatStackWithoutBundling();
const template = Template.fromStack(stack);

describe('ChatStack WebSocket API', () => {
  it('selects routes by the action in the body', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
  });

  it('creates exactly one route per ROUTES entry', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    const keys = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties?.RouteKey,
    );
    expect(keys.sort()).toEqual(ROUTES.map((route) => route.routeKey).sort());
  });

  it('integrates each route with the function the contract names', () => {
    for (const route of ROUTES) {
      const cfnRoute = resource(
        template,
        logicalIdOf(stack, stack.socketApi.routes.get(route.routeKey)?.routeId ?? ''),
      );
      const target = JSON.stringify(cfnRoute.Properties?.Target);
      const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1] ?? '';
      const integration = resource(template, integrationId);
      expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
      expect(integration.Properties?.IntegrationType).toBe('AWS_PROXY');
      const functionId = logicalIdOf(stack, stack.socketApi.functions[route.function].functionArn);
      expect(mentions(integration.Properties?.IntegrationUri, functionId), route.routeKey).toBe(true);
    }
  });

  it('authorizes $connect with the Lambda authorizer reading the token from the query string', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    const [authorizerId, authorizer] =
      Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer'))[0] ?? [];
    expect(authorizer?.Properties?.AuthorizerType).toBe('REQUEST');
    expect(authorizer?.Properties?.IdentitySource).toEqual([
      `route.request.querystring.${AUTHORIZER.tokenQueryParameter}`,
    ]);
    const authorizerFunctionId = logicalIdOf(
      stack,
      stack.socketApi.functions[AUTHORIZER.function].functionArn,
    );
    expect(mentions(authorizer?.Properties?.AuthorizerUri, authorizerFunctionId)).toBe(true);

    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: CONNECT_ROUTE,
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
  });

  it('leaves every other route without an authorizer, as API Gateway requires', () => {
    for (const route of ROUTES.filter((candidate) => candidate.routeKey !== CONNECT_ROUTE)) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: route.routeKey,
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
      });
    }
  });

  it('adds a route response exactly to the routes that reply', () => {
    const replying = ROUTES.filter((route) => route.replies);
    template.resourceCountIs('AWS::ApiGatewayV2::RouteResponse', replying.length);
    const responded = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::RouteResponse')).map(
      (response) => {
        expect(response.Properties?.RouteResponseKey).toBe('$default');
        return JSON.stringify(response.Properties?.RouteId);
      },
    );
    for (const route of ROUTES) {
      const routeId = logicalIdOf(stack, stack.socketApi.routes.get(route.routeKey)?.routeId ?? '');
      expect(responded.includes(JSON.stringify({ Ref: routeId })), route.routeKey).toBe(route.replies);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: route.routeKey,
        RouteResponseSelectionExpression: route.replies ? '$default' : Match.absent(),
      });
    }
  });

  it('deploys one auto-deployed, throttled stage with per-route metrics', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: STAGE,
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: LIMITS.throttlingRateLimit,
        ThrottlingBurstLimit: LIMITS.throttlingBurstLimit,
        DetailedMetricsEnabled: true,
      },
    });
  });

  it('throttles the routes a flood could use up the stage with, below the stage, as the contract says', () => {
    const throttled = ROUTES.filter((route) => route.throttle);
    expect(throttled.map((route) => route.routeKey).sort()).toEqual(['getPresence', 'sync', 'typing']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: Object.fromEntries(
        throttled.map((route) => [
          route.routeKey,
          {
            ThrottlingRateLimit: route.throttle?.rateLimit,
            ThrottlingBurstLimit: route.throttle?.burstLimit,
          },
        ]),
      ),
    });
    for (const route of throttled) {
      expect(route.throttle?.rateLimit).toBeLessThan(LIMITS.throttlingRateLimit);
    }
  });

  it.each(FUNCTION_NAMES)('reserves concurrency for %s only if the contract says so', (name) => {
    const fn = resource(template, logicalIdOf(stack, stack.socketApi.functions[name].functionArn));
    expect(fn.Properties?.ReservedConcurrentExecutions).toBe(definitionOf(name).reservedConcurrency);
  });

  it('lets API Gateway invoke each routed function and the authorizer, and nothing more', () => {
    const invoked = new Set<string>([AUTHORIZER.function, ...ROUTES.map((route) => route.function)]);
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission')).filter(
      (permission) => permission.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    for (const name of FUNCTION_NAMES) {
      const functionId = logicalIdOf(stack, stack.socketApi.functions[name].functionArn);
      const granted = permissions.some((permission) =>
        mentions(permission.Properties?.FunctionName, functionId),
      );
      expect(granted, name).toBe(invoked.has(name));
    }
  });
});

describe('ChatStack tables', () => {
  it('creates one table per TABLES entry and no others', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
  });

  function tableJson(definition: TableDefinition) {
    return resource(template, logicalIdOf(stack, stack.tables.table(definition.name).tableName));
  }

  it.each(TABLES.map((definition) => [definition.name, definition] as const))(
    'builds the %s table exactly from its definition',
    (_name, definition) => {
      const table = tableJson(definition);
      const properties = table.Properties ?? {};

      const keySchema = [{ AttributeName: definition.partitionKey.name, KeyType: 'HASH' }];
      if (definition.sortKey) keySchema.push({ AttributeName: definition.sortKey.name, KeyType: 'RANGE' });
      expect(properties.KeySchema).toEqual(keySchema);

      const attributes = new Map<string, string>();
      for (const key of [
        definition.partitionKey,
        definition.sortKey,
        ...definition.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
        ...definition.localIndexes.map((index) => index.sortKey),
      ]) {
        if (key) attributes.set(key.name, key.type);
      }
      const expectedAttributes = [...attributes].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType,
      }));
      expect(properties.AttributeDefinitions).toHaveLength(expectedAttributes.length);
      expect(properties.AttributeDefinitions).toEqual(expect.arrayContaining(expectedAttributes));

      const globalIndexes = definition.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      }));
      expect(properties.GlobalSecondaryIndexes).toEqual(globalIndexes.length > 0 ? globalIndexes : undefined);

      const localIndexes = definition.localIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(properties.LocalSecondaryIndexes).toEqual(localIndexes.length > 0 ? localIndexes : undefined);

      expect(properties.TimeToLiveSpecification).toEqual(
        definition.timeToLiveAttribute
          ? { AttributeName: definition.timeToLiveAttribute, Enabled: true }
          : undefined,
      );
    },
  );

  it.each(TABLES.map((definition) => [definition.name, definition] as const))(
    'makes the %s table on-demand, recoverable, encrypted, retained and deletion-protected',
    (_name, definition) => {
      const table = tableJson(definition);
      expect(table.Properties?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      // A fixed name would keep two stages from sharing an account.
      expect(table.Properties).not.toHaveProperty('TableName');
    },
  );

  it('looks tables up by name and refuses unknown names', () => {
    for (const definition of TABLES) {
      expect(stack.tables.table(definition.name).node.path).toContain('Tables/');
      expect(stack.tables.definition(definition.name)).toBe(definition);
    }
  });
});

describe('ChatStack media bucket', () => {
  /** The media bucket alone: the stack has a second bucket, the web client's. */
  let bucket: Template;
  let bucketPolicy: Template;

  beforeAll(() => {
    const stack = chatStackWithoutBundling({ mediaAllowedOrigins: ['https://chat.example'] });
    const template = Template.fromStack(stack);
    const bucketId = logicalIdOf(stack, stack.media.bucket.bucketName);
    bucket = onlyResource(template, bucketId);
    bucketPolicy = onlyResource(template, bucketPolicyIdOf(template, bucketId));
  });

  it('is private, encrypted, retained and has no fixed name', () => {
    bucket.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        BucketName: Match.absent(),
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('allows browser POST (uploads), GET and HEAD from the configured origins, and nothing else', () => {
    bucket.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['POST', 'GET', 'HEAD'],
            AllowedOrigins: ['https://chat.example'],
            AllowedHeaders: ['*'],
          }),
        ],
      },
    });
  });

  it('removes unsent uploads from staging/ after one day, and nothing under media/', () => {
    const resources = bucket.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    const rules = Object.values(resources).flatMap(
      (entry) => (entry.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules,
    );
    const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring).toEqual([
      expect.objectContaining({ Prefix: 'staging/', ExpirationInDays: 1, Status: 'Enabled' }),
    ]);
  });

  it('aborts incomplete multipart uploads after one day', () => {
    bucket.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('denies every request that does not use TLS', () => {
    bucketPolicy.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it("allows only the web client's origin by default", () => {
    const distributionId = logicalIdOf(stack, stack.web.distribution.distributionId);
    const bucketId = logicalIdOf(stack, stack.media.bucket.bucketName);
    onlyResource(template, bucketId).hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['POST', 'GET', 'HEAD'],
            AllowedOrigins: [
              { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
            ],
          }),
        ],
      },
    });
  });
});

describe('ChatStack functions', () => {
  it('creates one function per FUNCTIONS entry, besides the web deployment handler and the VAPID key generator', () => {
    const chatFunctionIds = FUNCTION_NAMES.map((name) =>
      logicalIdOf(stack, stack.socketApi.functions[name].functionArn),
    );
    const otherIds = Object.keys(resourcesOfType(template, 'AWS::Lambda::Function')).filter(
      (logicalId) => !chatFunctionIds.includes(logicalId),
    );
    expect(new Set(chatFunctionIds).size).toBe(FUNCTION_NAMES.length);
    expect(otherIds.sort()).toEqual(
      [webDeploymentHandlerId(template), logicalIdOf(stack, stack.vapid.generatorArn)].sort(),
    );
  });

  it.each(FUNCTION_NAMES)(
    'runs %s on Node 22 or newer, arm64, with its timeout and own log group',
    (name) => {
      const fn = resource(template, logicalIdOf(stack, stack.socketApi.functions[name].functionArn));
      const properties = fn.Properties ?? {};
      expect(properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.MemorySize).toBe(256);
      expect(properties.Timeout).toBe(definitionOf(name).timeoutSeconds ?? 10);
      expect(properties.Handler).toBe('index.handler');
      expect(properties).not.toHaveProperty('FunctionName');

      const logGroupId = logicalIdOf(stack, stack.socketApi.functions[name].logs.logGroupName);
      expect(properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
      const logGroup = resource(template, logGroupId);
      expect(logGroup.Properties?.RetentionInDays).toBe(30);
      expect(logGroup.Properties).not.toHaveProperty('LogGroupName');
    },
  );

  it.each(FUNCTION_NAMES)('gives %s exactly the environment variables its contract entry implies', (name) => {
    const variables = environmentOf(template, stack, name);
    expect(Object.keys(variables).sort()).toEqual(expectedEnvironment(name));
    expect(variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(variables[ENV.serviceName]).toBe(stack.stackName);
    expect(variables[ENV.logLevel]).toBe('INFO');
  });

  it('hands each function the physical names of its own tables', () => {
    for (const name of FUNCTION_NAMES) {
      const variables = environmentOf(template, stack, name);
      for (const table of TABLES) {
        if (definitionOf(name).tables[table.name]) {
          const tableId = logicalIdOf(stack, stack.tables.table(table.name).tableName);
          expect(variables[table.envVar], `${name} ${table.envVar}`).toEqual({ Ref: tableId });
        }
      }
    }
  });

  it('points functions that manage connections at the stage @connections endpoint', () => {
    const apiId = logicalIdOf(stack, stack.socketApi.api.apiId);
    const endpoint = {
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: apiId },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          `/${STAGE}`,
        ],
      ],
    };
    for (const name of FUNCTION_NAMES.filter(
      (candidate) => (definitionOf(candidate).connections ?? []).length > 0,
    )) {
      expect(environmentOf(template, stack, name).CHAT_CONNECTIONS_ENDPOINT, name).toEqual(endpoint);
    }
  });

  it('tells the authorizer the Cognito issuer, app client and key set', () => {
    const variables = environmentOf(template, stack, AUTHORIZER.function);
    const poolId = logicalIdOf(stack, stack.identity.userPool.userPoolId);
    const clientId = logicalIdOf(stack, stack.identity.userPoolClient.userPoolClientId);
    const issuerParts = [
      'https://cognito-idp.',
      { Ref: 'AWS::Region' },
      '.',
      { Ref: 'AWS::URLSuffix' },
      '/',
      { Ref: poolId },
    ];
    expect(variables.CHAT_JWT_ISSUER).toEqual({ 'Fn::Join': ['', issuerParts] });
    expect(variables.CHAT_JWT_AUDIENCE).toEqual({ Ref: clientId });
    expect(variables.CHAT_JWKS_URL).toEqual({ 'Fn::Join': ['', [...issuerParts, '/.well-known/jwks.json']] });
  });

  it('tells each invoking function the name of the function it starts', () => {
    for (const name of FUNCTION_NAMES) {
      for (const target of definitionOf(name).invokes ?? []) {
        const targetName = FUNCTION_NAMES.find((candidate) => candidate === target);
        expect(targetName, `${name} invokes ${target}`).toBeDefined();
        if (!targetName) continue;
        const targetId = logicalIdOf(stack, stack.socketApi.functions[targetName].functionName);
        expect(environmentOf(template, stack, name)[functionNameEnvVar(target)]).toEqual({ Ref: targetId });
      }
    }
  });
});

describe('ChatStack permissions', () => {
  function statementsOf(name: FunctionName) {
    return statementsForRole(
      template,
      logicalIdOf(stack, stack.socketApi.functions[name].executionRole.roleArn),
    );
  }

  it('attaches no managed policies to any role', () => {
    for (const role of Object.values(resourcesOfType(template, 'AWS::IAM::Role'))) {
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
    }
  });

  it.each(FUNCTION_NAMES)('lets %s write logs only to its own log group', (name) => {
    const logStatements = statementsOf(name).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('logs:')),
    );
    const logGroupId = logicalIdOf(stack, stack.socketApi.functions[name].logs.logGroupName);
    expect(logStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
  });

  it.each(FUNCTION_NAMES)(
    'gives %s exactly the DynamoDB actions the contract lists, per table and index',
    (name) => {
      const statements = statementsOf(name);
      for (const table of TABLES) {
        const tableId = logicalIdOf(stack, stack.tables.table(table.name).tableName);
        // One (action, resource) pair per action and resource: IAM minimizing merges statements.
        const pairs = statements.flatMap((statement) =>
          (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).flatMap(
            (resource: unknown) =>
              actionsOf(statement).map((action) => ({ action, resource: JSON.stringify(resource) })),
          ),
        );
        const onTable = pairs.filter((pair) => pair.resource.includes(`"${tableId}"`));
        const grant = definitionOf(name).tables[table.name];
        const context = `${name} on ${table.name}`;
        const tableOnly = onTable.filter((pair) => !pair.resource.includes('/index/'));
        const indexed = onTable.filter((pair) => pair.resource.includes('/index/'));
        expect(tableOnly.map((pair) => pair.action).sort(), context).toEqual(
          (grant?.actions ?? []).map((action) => `dynamodb:${action}`).sort(),
        );
        const queried = grant?.queryIndexes ?? [];
        expect([...new Set(indexed.map((pair) => pair.action))], context).toEqual(
          queried.length > 0 ? ['dynamodb:Query'] : [],
        );
        const indexJson = indexed.map((pair) => pair.resource).join(' ');
        for (const index of [...table.globalIndexes, ...table.localIndexes]) {
          expect(indexJson.includes(`/index/${index.indexName}"`), `${context}/${index.indexName}`).toBe(
            queried.includes(index.indexName),
          );
        }
        expect(indexJson).not.toContain('/index/*');
      }
    },
  );

  it('grants no DynamoDB action that no function calls: no Scan, no BatchWriteItem', () => {
    const actions = FUNCTION_NAMES.flatMap((name) => statementsOf(name).flatMap(actionsOf));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
    expect(actions.filter((action) => action.endsWith('*'))).toEqual([]);
  });

  it('gives no DynamoDB action at all to functions without tables', () => {
    const tableless = FUNCTION_NAMES.filter((name) => Object.keys(definitionOf(name).tables).length === 0);
    expect(tableless).toEqual(expect.arrayContaining(['authorizer', 'fallback']));
    for (const name of tableless) {
      const actions = statementsOf(name).flatMap((statement) => actionsOf(statement));
      expect(
        actions.filter((action) => action.startsWith('dynamodb:')),
        name,
      ).toEqual([]);
    }
  });

  it.each(FUNCTION_NAMES)(
    'lets %s call exactly the @connections methods the contract lists, on this stage only',
    (name) => {
      const manage = statementsOf(name).filter((statement) =>
        actionsOf(statement).includes('execute-api:ManageConnections'),
      );
      const methods = definitionOf(name).connections ?? [];
      if (methods.length === 0) {
        expect(manage).toEqual([]);
        return;
      }
      expect(manage).toHaveLength(1);
      const apiId = logicalIdOf(stack, stack.socketApi.api.apiId);
      expect(mentions(manage[0]?.Resource, apiId)).toBe(true);
      const resourceJson = JSON.stringify(manage[0]?.Resource);
      for (const method of ['POST', 'GET', 'DELETE'] as const) {
        expect(resourceJson.includes(`/${STAGE}/${method}/@connections/*`), `${name} ${method}`).toBe(
          methods.includes(method),
        );
      }
      expect(resourceJson).not.toContain(`/${STAGE}/*/`);
    },
  );

  it.each(FUNCTION_NAMES)('lets %s sign users out at Cognito only if the contract says so', (name) => {
    const cognito = statementsOf(name).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('cognito-idp:')),
    );
    if (!definitionOf(name).globalSignOut) {
      expect(cognito).toEqual([]);
      return;
    }
    const [statement] = cognito;
    expect(cognito).toHaveLength(1);
    if (!statement) return;
    expect(actionsOf(statement)).toEqual(['cognito-idp:AdminUserGlobalSignOut']);
    expect(mentions(statement.Resource, logicalIdOf(stack, stack.identity.userPool.userPoolArn))).toBe(true);
  });

  it.each(FUNCTION_NAMES)('lets %s invoke exactly the functions it starts', (name) => {
    const invokeStatements = statementsOf(name).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('lambda:')),
    );
    const targets = definitionOf(name).invokes ?? [];
    expect(invokeStatements.length > 0).toBe(targets.length > 0);
    for (const other of FUNCTION_NAMES) {
      const otherId = logicalIdOf(stack, stack.socketApi.functions[other].functionArn);
      const allowed = invokeStatements.some((statement) => mentions(statement.Resource, otherId));
      expect(allowed, `${name} -> ${other}`).toBe(targets.includes(other));
    }
  });
});

describe('ChatStack media permissions', () => {
  /** What each function may do in the media bucket, written out by hand: the contract must produce it. */
  const EXPECTED: Partial<Record<FunctionName, string[]>> = {
    requestUpload: ['s3:PutObject staging/*'],
    sendMessage: ['s3:GetObject staging/*', 's3:PutObject media/*', 's3:GetObject media/*'],
    getMessages: ['s3:GetObject media/*'],
    listConversations: ['s3:GetObject media/*'],
    drain: ['s3:GetObject media/*'],
    getMediaUrl: ['s3:GetObject media/*'],
  };

  it.each(FUNCTION_NAMES)('gives %s exactly the S3 actions and key prefixes it needs', (name) => {
    const bucketId = logicalIdOf(stack, stack.media.bucket.bucketName);
    const role = logicalIdOf(stack, stack.socketApi.functions[name].executionRole.roleArn);
    const granted = statementsForRole(template, role)
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')))
      .flatMap((statement) => {
        // IAM minimizing may merge statements: each grants every action on every resource it lists.
        const resources: unknown[] = Array.isArray(statement.Resource)
          ? statement.Resource
          : [statement.Resource];
        return resources.flatMap((resource) => {
          expect(mentions(resource, bucketId)).toBe(true);
          const prefix = /\/([a-z]+\/\*)"/.exec(JSON.stringify(resource))?.[1];
          return actionsOf(statement).map((action) => `${action} ${prefix}`);
        });
      });
    expect(granted.sort()).toEqual([...(EXPECTED[name] ?? [])].sort());
  });
});

describe('ChatStack identity, schedules and outputs', () => {
  it('has a retained user pool with self sign-up, a required email and case-insensitive usernames', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
        UsernameConfiguration: { CaseSensitive: false },
        UsernameAttributes: Match.absent(),
        AliasAttributes: Match.absent(),
        Schema: Match.arrayWith([Match.objectLike({ Name: 'email', Required: true })]),
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12 }) },
        UserPoolName: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('confirms sign-ups with a code sent to the email address', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AutoVerifiedAttributes: ['email'],
      VerificationMessageTemplate: Match.objectLike({
        DefaultEmailOption: 'CONFIRM_WITH_CODE',
        EmailMessage: Match.stringLikeRegexp('\\{####\\}'),
      }),
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  it('has a public app client for password and SRP sign-in with one-hour ID tokens', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      IdTokenValidity: 60,
      TokenValidityUnits: Match.objectLike({ IdToken: 'minutes' }),
      AllowedOAuthFlowsUserPoolClient: false,
    });
  });

  it('allows exactly the sign-in flows the web client uses, SRP and token refresh', () => {
    const [client] = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolClient'));
    const flows = client?.Properties?.ExplicitAuthFlows;
    expect(Array.isArray(flows) ? [...flows].sort() : flows).toEqual([
      'ALLOW_REFRESH_TOKEN_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_USER_SRP_AUTH',
    ]);
  });

  it('runs each scheduled function at its contract rate', () => {
    template.resourceCountIs('AWS::Events::Rule', SCHEDULES.length);
    for (const schedule of SCHEDULES) {
      const minutes = schedule.everyMs / 60_000;
      const functionId = logicalIdOf(stack, stack.socketApi.functions[schedule.function].functionArn);
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
    }
  });

  it('refuses a schedule EventBridge cannot express', () => {
    expect(
      () =>
        new ChatSchedules(new Stack(new App(), 'Scratch'), 'OddSchedule', {
          functions: stack.socketApi.functions,
          schedules: [{ function: 'sweeper', everyMs: 90_000 }],
        }),
    ).toThrow(/whole minutes/);
  });

  it('exports what clients and tools need', () => {
    const apiId = logicalIdOf(stack, stack.socketApi.api.apiId);
    template.hasOutput('WebSocketUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'wss://',
            { Ref: apiId },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            `/${STAGE}`,
          ],
        ],
      },
    });
    template.hasOutput('ConnectionsEndpoint', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: apiId },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            `/${STAGE}`,
          ],
        ],
      },
    });
    template.hasOutput('UserPoolId', {
      Value: { Ref: logicalIdOf(stack, stack.identity.userPool.userPoolId) },
    });
    template.hasOutput('UserPoolClientId', {
      Value: { Ref: logicalIdOf(stack, stack.identity.userPoolClient.userPoolClientId) },
    });
    template.hasOutput('Issuer', { Value: { 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.'])] } });
    template.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
    template.hasOutput('MediaBucketName', {
      Value: { Ref: logicalIdOf(stack, stack.media.bucket.bucketName) },
    });
  });
});

describe('ChatStack access logs', () => {
  it('sends stage access logs to a log group with one-month retention by default', () => {
    const logGroup = stack.socketApi.accessLogs;
    expect(logGroup).toBeDefined();
    if (!logGroup) return;
    const logGroupId = logicalIdOf(stack, logGroup.logGroupName);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
    });
    expect(resource(template, logGroupId).Properties?.RetentionInDays).toBe(30);
  });

  it("logs one JSON line per request with the authorizer's principal, never the token", () => {
    const stage = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Stage'))[0];
    const settings = stage?.Properties?.AccessLogSettings as { Format: string };
    const format: Record<string, string> = JSON.parse(settings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      principalId: '$context.authorizer.principalId',
    });
    expect(settings.Format).not.toMatch(/querystring|token|identity\.user/i);
  });

  it('leaves access logs off when asked, for an account without the API Gateway logs role', () => {
    const withoutLogs = chatStackWithoutBundling({ apiAccessLogging: false });
    expect(withoutLogs.socketApi.accessLogs).toBeUndefined();
    Template.fromStack(withoutLogs).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: Match.absent(),
    });
  });

  it("sets the account's API Gateway CloudWatch Logs role only when asked, and keeps it", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const withRole = Template.fromStack(chatStackWithoutBundling({ apiGatewayCloudWatchRole: true }));
    withRole.resourceCountIs('AWS::ApiGateway::Account', 1);
    withRole.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    withRole.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
      },
    });
  });
});
