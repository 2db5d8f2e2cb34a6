import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KeyAttribute, TableDefinition, TableName } from '../contract/tables';
import { TABLES } from '../contract/tables';

/** CreateTable input for one table definition: the same definitions the CDK stack builds from. */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute>();
  const keyAttributes: KeyAttribute[] = [
    definition.partitionKey,
    ...(definition.sortKey ? [definition.sortKey] : []),
    ...definition.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ...definition.localIndexes.map((index) => index.sortKey),
  ];
  for (const attribute of keyAttributes) attributes.set(attribute.name, attribute);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(definition.globalIndexes.length > 0 && {
      GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    }),
    ...(definition.localIndexes.length > 0 && {
      LocalSecondaryIndexes: definition.localIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  };
}

export function localTableName(name: TableName): string {
  return `chat-${name}`;
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** Creates every table that does not exist yet (a data folder keeps them across restarts). */
export async function provisionTables(client: DynamoDBClient): Promise<void> {
  await Promise.all(
    TABLES.map(async (definition) => {
      const tableName = localTableName(definition.name);
      if (await tableExists(client, tableName)) return;
      await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
      if (!definition.timeToLiveAttribute) return;
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true },
          }),
        );
      } catch (error) {
        // dynalite has no TTL API; nothing depends on it, because every read filters on freshness.
        if (!(error instanceof Error && error.name === 'UnknownOperationException')) throw error;
      }
    }),
  );
}

export const LOCAL_MEDIA_BUCKET = 'chat-media';

/** The media bucket with the CORS rules of lib/media-bucket.ts: browsers POST uploads and GET downloads. */
export async function provisionBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  await client.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['*'],
            AllowedMethods: ['POST', 'GET', 'HEAD'],
            AllowedHeaders: ['*'],
            MaxAgeSeconds: 3000,
          },
        ],
      },
    }),
  );
}
