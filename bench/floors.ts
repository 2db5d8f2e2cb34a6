import { createServer } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { LIMITS } from '../contract/limits';
import { conversationIdOf } from '../contract/protocol/ids';
import { type DynamoEngine, startDynamo } from '../local/dynamodb';

/**
 * The two floors the chat is measured against: the least a WebSocket relay must do (forward to the
 * recipient's socket and acknowledge the sender), and the same relay doing the least any durable chat
 * must do (one PutItem per message, before the acknowledgement). They speak the chat's wire format
 * for `sendMessage`, `message` and `ack`, so the load generator drives all three the same way.
 */

export interface FloorServer {
  wsUrl: string;
  stop(): Promise<void>;
}

const FLOOR_TABLE = 'floor-messages';

interface Persistence {
  put(item: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

async function startPersistence(engine: DynamoEngine): Promise<Persistence> {
  const dynamo = await startDynamo({ engine });
  // The same client the handlers build (lambdas/adapters/dynamodb/client.ts), pointed at the floor's own server.
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await client.send(
    new CreateTableCommand({
      TableName: FLOOR_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'conversationId', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'conversationId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
    }),
  );
  return {
    put: async (item) => {
      await db.send(new PutCommand({ TableName: FLOOR_TABLE, Item: item }));
    },
    stop: async () => {
      db.destroy();
      await dynamo.stop();
    },
  };
}

const text = (data: RawData) =>
  (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString(
    'utf8',
  );

export async function startFloor(options: { persist: DynamoEngine | undefined }): Promise<FloorServer> {
  const persistence = options.persist ? await startPersistence(options.persist) : undefined;
  const sockets = new Map<string, WebSocket>();
  const lastSeq = new Map<string, number>();
  const acks = new Map<string, Promise<Record<string, unknown>>>();
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http });

  async function handle(user: string, socket: WebSocket, frame: Record<string, unknown>): Promise<void> {
    const requestId = typeof frame.requestId === 'string' ? frame.requestId : undefined;
    if (frame.action === 'heartbeat') {
      const expiresAt = Date.now() + LIMITS.connectionTtlMs;
      socket.send(
        JSON.stringify({ type: 'heartbeat', requestId, expiresAt, intervalMs: LIMITS.heartbeatIntervalMs }),
      );
      return;
    }
    if (
      frame.action !== 'sendMessage' ||
      typeof frame.to !== 'string' ||
      typeof frame.messageId !== 'string'
    ) {
      socket.send(
        JSON.stringify({ type: 'error', requestId, code: 'UNKNOWN_ACTION', message: 'relay floor' }),
      );
      return;
    }
    // A retry (same messageId) gets the first ack again and is not delivered twice, as the chat does.
    const first = acks.get(frame.messageId);
    if (first) {
      socket.send(JSON.stringify({ ...(await first), requestId, duplicate: true }));
      return;
    }
    const { messageId } = frame;
    const stored = store(user, frame.to, messageId, String(frame.text));
    acks.set(messageId, stored);
    // A failed put is forgotten, so that the retry stores it.
    stored.catch(() => acks.delete(messageId));
    socket.send(JSON.stringify({ ...(await stored), requestId }));
  }

  /** Numbers, persists (persist floor) and delivers a message; resolves with its ack. */
  async function store(
    user: string,
    to: string,
    messageId: string,
    text: string,
  ): Promise<Record<string, unknown>> {
    const conversationId = conversationIdOf(user, to);
    const seq = (lastSeq.get(conversationId) ?? 0) + 1;
    lastSeq.set(conversationId, seq);
    const message = { conversationId, seq, messageId, from: user, to, text, sentAt: Date.now() };
    await persistence?.put(message);
    sockets.get(to)?.send(JSON.stringify({ type: 'message', ...message }));
    return { type: 'ack', messageId, conversationId, seq, sentAt: message.sentAt, duplicate: false };
  }

  wss.on('connection', (socket, req) => {
    const user = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user') ?? '';
    sockets.set(user, socket);
    socket.on('message', (data) => {
      let frame: unknown;
      try {
        frame = JSON.parse(text(data));
      } catch {
        socket.send(JSON.stringify({ type: 'error', code: 'BAD_JSON', message: 'not JSON' }));
        return;
      }
      if (typeof frame !== 'object' || frame === null) return;
      handle(user, socket, frame as Record<string, unknown>).catch((error: unknown) => {
        socket.send(JSON.stringify({ type: 'error', code: 'INTERNAL', message: String(error) }));
      });
    });
    socket.on('close', () => {
      if (sockets.get(user) === socket) sockets.delete(user);
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    wsUrl: `ws://127.0.0.1:${port}/floor`,
    stop: async () => {
      for (const socket of sockets.values()) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await persistence?.stop();
    },
  };
}
