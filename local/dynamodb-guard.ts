import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsCall } from './gateway/types';
import { type AwsDenial, verifySignature } from './signature';

export interface DynamoGuard {
  /** Where the functions send their DynamoDB calls. */
  endpoint: string;
  close(): Promise<void>;
}

export interface DynamoGuardOptions {
  /** The DynamoDB server the allowed calls go on to. */
  upstream: string;
  secretFor(accessKeyId: string): string | undefined;
  authorize(accessKeyId: string, call: AwsCall): AwsDenial | undefined;
  log: (line: string) => void;
}

/** The tables (and index) a DynamoDB request names, each an IAM resource of its own. */
function resourcesOf(action: string, body: Record<string, unknown>): { table: string; index?: string }[] {
  if (action === 'BatchGetItem' || action === 'BatchWriteItem') {
    const items = body.RequestItems;
    return typeof items === 'object' && items !== null ? Object.keys(items).map((table) => ({ table })) : [];
  }
  if (action === 'TransactWriteItems' || action === 'TransactGetItems') {
    const items = Array.isArray(body.TransactItems) ? body.TransactItems : [];
    return items.flatMap((item: unknown) =>
      Object.values(typeof item === 'object' && item !== null ? item : {}).flatMap((operation: unknown) =>
        typeof operation === 'object' && operation !== null && 'TableName' in operation
          ? [{ table: String(operation.TableName) }]
          : [],
      ),
    );
  }
  if (typeof body.TableName !== 'string') return [];
  return [{ table: body.TableName, ...(typeof body.IndexName === 'string' && { index: body.IndexName }) }];
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function deny(res: ServerResponse, denial: AwsDenial): void {
  // DynamoDB's JSON protocol: the error type in __type, as the SDK reads it; every refusal of a
  // caller (signature, key, permission) is a 400 there.
  const body = JSON.stringify({
    __type: `com.amazon.coral.service#${denial.errorType}`,
    message: denial.message,
  });
  res.writeHead(denial.statusCode >= 500 ? denial.statusCode : 400, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * IAM in front of the local DynamoDB server (dynalite and DynamoDB Local check no signature and no
 * permission): each request must be signed by a function's key, and each table or index it names must
 * be granted to that function for the operation (X-Amz-Target); allowed requests are forwarded as they
 * came. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html
 */
export async function startDynamoGuard(options: DynamoGuardOptions): Promise<DynamoGuard> {
  const upstream = new URL(options.upstream);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const signature = await verifySignature(req, body, options.secretFor);
    if (!signature.ok) return deny(res, signature.denial);
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      parsed = {};
    }
    const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    // An operation that names no table (ListTables, say) is an action on `*`, which no grant covers.
    const resources = resourcesOf(action, fields);
    for (const resource of resources.length > 0 ? resources : [{ table: '*' }]) {
      const denial = options.authorize(signature.accessKeyId, { service: 'dynamodb', action, ...resource });
      if (denial !== undefined) {
        options.log(`[iam] ${denial.message}`);
        return deny(res, denial);
      }
    }
    await new Promise<void>((resolve, reject) => {
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', reject);
        },
      );
      forwarded.on('error', reject);
      forwarded.end(body);
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`[dynamodb] ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent)
        deny(res, {
          statusCode: 500,
          errorType: 'InternalServerError',
          message: 'The local DynamoDB server did not answer',
        });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
