import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type DynamoEngine, type DynamoServer, startDynamo } from '../../local/dynamodb';
import { provisionTables } from '../../local/provision';

/** The data layer must behave the same on both servers; CI has Java, so both always run. */
export const ENGINES: readonly DynamoEngine[] = ['dynalite', 'dynamodb-local'];

/**
 * A DynamoDB server of the given engine with the project's tables, for the enclosing describe block:
 * started before its tests, stopped after them. `db()` is the document client the stores use.
 */
export function useStoreServer(engine: DynamoEngine): { db(): DynamoDBDocumentClient } {
  let server: DynamoServer | undefined;
  let db: DynamoDBDocumentClient | undefined;

  beforeAll(async () => {
    server = await startDynamo({ engine });
    const client = new DynamoDBClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await provisionTables(client);
    db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  });

  afterAll(async () => {
    db?.destroy();
    await server?.stop();
  });

  return {
    db() {
      if (!db) throw new Error('The server starts in beforeAll: use it inside tests');
      return db;
    },
  };
}
