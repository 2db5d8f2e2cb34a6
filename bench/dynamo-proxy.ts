import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { crc32 } from 'node:zlib';
import { TABLES } from '../contract/tables';
import { localTableName } from '../local/provision';
import {
  type IndexKeys,
  indexWriteUnits,
  itemSize,
  readUnitsWithMinimum,
  type WireItem,
  writeUnits,
} from './capacity';
import type { DynamoOperationCount } from './counters';

interface TableShape {
  keyAttributes: readonly string[];
  indexes: readonly IndexKeys[];
}

/** Key and index attributes of the runtime's tables, from the definitions the runtime creates them with. */
const SHAPES = new Map<string, TableShape>(
  TABLES.map((table) => [
    localTableName(table.name),
    {
      keyAttributes: [table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])],
      indexes: [
        ...table.globalIndexes.map((index) => {
          const attributes = [index.partitionKey.name, index.sortKey.name];
          const tableKeys = [table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])];
          return {
            indexName: index.indexName,
            attributes,
            ...(index.projection === 'KEYS_ONLY' && {
              projected: [...new Set([...tableKeys, ...attributes])],
            }),
          };
        }),
        ...table.localIndexes.map((index) => ({
          indexName: index.indexName,
          attributes: [table.partitionKey.name, index.sortKey.name],
        })),
      ],
    },
  ]),
);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export interface DynamoProxy {
  endpoint: string;
  counts: Record<string, DynamoOperationCount>;
  close(): Promise<void>;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/**
 * A counting proxy in front of a DynamoDB-compatible server. It counts each call by operation and table
 * (from X-Amz-Target) and bills it with DynamoDB's rules. To know the item before and after each write it
 * keeps a shadow of every item written through it (the bench starts from empty tables, so the shadow is
 * complete), asks UpdateItem for ALL_NEW and every call for its consumed capacity, and removes what it
 * added before the answer reaches the caller. Local servers do not check signatures, so rewriting a body
 * is harmless.
 */
/** Top-level attributes an UpdateExpression writes (SET, REMOVE, ADD, DELETE), with names resolved. */
export function updatedAttributes(expression: string, names: Record<string, string>): string[] {
  const found = new Set<string>();
  const clauses = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i);
  for (let i = 1; i < clauses.length; i += 2) {
    const action = (clauses[i] ?? '').toUpperCase();
    const clause = clauses[i + 1] ?? '';
    // SET's targets start each assignment; the others are comma-separated paths, first word each.
    const pattern = action === 'SET' ? /(?:^|,)\s*([#\w]+)[^=,]*=/g : /(?:^|,)\s*([#\w]+)/g;
    for (const match of clause.matchAll(pattern)) {
      const name = match[1] ?? '';
      found.add(names[name] ?? name);
    }
  }
  return [...found];
}

/** What UpdateItem would have returned for the caller's ReturnValues, from the item before it. */
function askedAttributes(asked: string, request: Json, before: WireItem | undefined): WireItem | undefined {
  if (asked === 'NONE' || before === undefined) return undefined;
  if (asked === 'ALL_OLD') return before;
  if (asked !== 'UPDATED_OLD') throw new Error(`The counting proxy does not rebuild ReturnValues ${asked}`);
  const names = isObject(request.ExpressionAttributeNames)
    ? (request.ExpressionAttributeNames as Record<string, string>)
    : {};
  const updated = updatedAttributes(String(request.UpdateExpression ?? ''), names);
  const old = Object.fromEntries(updated.flatMap((name) => (before[name] ? [[name, before[name]]] : [])));
  return Object.keys(old).length > 0 ? old : undefined;
}

export async function startDynamoProxy(upstream: string): Promise<DynamoProxy> {
  const target = new URL(upstream);
  const counts: Record<string, DynamoOperationCount> = {};
  const shadow = new Map<string, WireItem>();

  const keyOf = (table: string, item: Json | undefined): string | undefined => {
    const shape = SHAPES.get(table);
    if (!shape || !item) return undefined;
    return `${table}|${JSON.stringify(shape.keyAttributes.map((name) => item[name]))}`;
  };

  const countOf = (operation: string, table: string): DynamoOperationCount => {
    const key = `${operation} ${table}`;
    counts[key] ??= { calls: 0, conditionFailures: 0, errors: 0, readUnits: 0, writeUnits: 0 };
    return counts[key];
  };

  /**
   * Bills a write from the shadow and moves the shadow to the new item. Returns the table's units;
   * index writes are counted apart, under `IndexWrite table/index`, so that a hot index shows.
   */
  function billWrite(
    table: string,
    key: string | undefined,
    after: WireItem | undefined,
    refused: boolean,
  ): number {
    const before = key ? shadow.get(key) : undefined;
    const tableUnits = writeUnits(Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0));
    if (refused) return tableUnits;
    if (key) {
      if (after) shadow.set(key, after);
      else shadow.delete(key);
    }
    const indexes = indexWriteUnits(SHAPES.get(table)?.indexes ?? [], before, after);
    for (const [indexName, units] of Object.entries(indexes)) {
      if (units > 0) countOf('IndexWrite', `${table}/${indexName}`).writeUnits += units;
    }
    return tableUnits;
  }

  function account(operation: string, request: Json, status: number, response: Json): void {
    const batchTables = isObject(request.RequestItems) ? Object.keys(request.RequestItems).join('+') : '-';
    const table = typeof request.TableName === 'string' ? request.TableName : batchTables;
    const count = countOf(operation, table);
    count.calls++;
    const errorType = typeof response.__type === 'string' ? response.__type : '';
    const refused = status >= 400 && errorType.endsWith('ConditionalCheckFailedException');
    if (status >= 400 && !refused) {
      count.errors++;
      return;
    }
    if (refused) count.conditionFailures++;
    const consistent = request.ConsistentRead === true;
    const reported = (capacity: unknown) =>
      isObject(capacity) && typeof capacity.CapacityUnits === 'number' ? capacity.CapacityUnits : 0;
    switch (operation) {
      case 'PutItem': {
        const item = isObject(request.Item) ? (request.Item as WireItem) : undefined;
        count.writeUnits += billWrite(table, keyOf(table, item), item, refused);
        return;
      }
      case 'UpdateItem': {
        const key = keyOf(table, isObject(request.Key) ? request.Key : undefined);
        const after = isObject(response.Attributes) ? (response.Attributes as WireItem) : undefined;
        count.writeUnits += billWrite(table, key, after, refused);
        return;
      }
      case 'DeleteItem': {
        const key = keyOf(table, isObject(request.Key) ? request.Key : undefined);
        count.writeUnits += billWrite(table, key, undefined, refused);
        return;
      }
      case 'BatchWriteItem': {
        const requests = isObject(request.RequestItems) ? request.RequestItems : {};
        for (const [batchTable, writes] of Object.entries(requests)) {
          for (const write of Array.isArray(writes) ? writes : []) {
            if (!isObject(write)) continue;
            const put = isObject(write.PutRequest) ? write.PutRequest.Item : undefined;
            const del = isObject(write.DeleteRequest) ? write.DeleteRequest.Key : undefined;
            if (isObject(put))
              count.writeUnits += billWrite(batchTable, keyOf(batchTable, put), put as WireItem, false);
            else if (isObject(del))
              count.writeUnits += billWrite(batchTable, keyOf(batchTable, del), undefined, false);
          }
        }
        return;
      }
      case 'BatchGetItem': {
        const capacities = Array.isArray(response.ConsumedCapacity) ? response.ConsumedCapacity : [];
        count.readUnits += capacities.reduce((sum: number, capacity) => sum + reported(capacity), 0);
        return;
      }
      default:
        if (['GetItem', 'Query', 'Scan'].includes(operation)) {
          count.readUnits += readUnitsWithMinimum(reported(response.ConsumedCapacity), consistent);
        }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'Unknown';
    const raw = await readAll(req);
    let body: Json = {};
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8') || '{}');
      if (isObject(parsed)) body = parsed;
    } catch {
      // Not JSON: forwarded untouched, the server answers with its own error.
    }
    const addedCapacity = body.ReturnConsumedCapacity === undefined;
    // The new item is what a write is billed by: UpdateItem is asked for it whatever the caller asked,
    // and the caller's own choice is rebuilt from it and the shadow below.
    const askedReturn = typeof body.ReturnValues === 'string' ? body.ReturnValues : 'NONE';
    const addedReturn = operation === 'UpdateItem' && askedReturn !== 'ALL_NEW';
    const forwarded = {
      ...body,
      ...(addedCapacity && { ReturnConsumedCapacity: 'TOTAL' }),
      ...(addedReturn && { ReturnValues: 'ALL_NEW' }),
    };
    const payload = addedCapacity || addedReturn ? Buffer.from(JSON.stringify(forwarded)) : raw;

    const upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(payload.length) },
        },
        resolve,
      );
      outgoing.once('error', reject);
      outgoing.end(payload);
    });
    const answer = await readAll(upstreamResponse);
    const status = upstreamResponse.statusCode ?? 500;
    let response: Json = {};
    try {
      const parsed: unknown = JSON.parse(answer.toString('utf8') || '{}');
      if (isObject(parsed)) response = parsed;
    } catch {
      // An answer that is not JSON is passed on as it is.
    }
    const table = typeof body.TableName === 'string' ? body.TableName : '';
    const key = keyOf(table, isObject(body.Key) ? body.Key : undefined);
    const before = key ? shadow.get(key) : undefined;
    account(operation, body, status, response);

    let out = answer;
    if (status < 400 && (addedCapacity || addedReturn)) {
      const { ConsumedCapacity: _capacity, Attributes: _attributes, ...rest } = response;
      const asked = addedReturn ? askedAttributes(askedReturn, body, before) : response.Attributes;
      const kept = {
        ...rest,
        ...(!addedCapacity &&
          response.ConsumedCapacity !== undefined && { ConsumedCapacity: response.ConsumedCapacity }),
        ...(asked !== undefined && { Attributes: asked }),
      };
      out = Buffer.from(JSON.stringify(kept));
    }
    const headers: OutgoingHttpHeaders = {
      ...upstreamResponse.headers,
      'content-length': String(out.length),
    };
    if (out !== answer) headers['x-amz-crc32'] = String(crc32(out));
    res.writeHead(status, headers);
    res.end(out);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'BenchProxyError', message: String(error) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
