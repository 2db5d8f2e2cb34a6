import WebSocket from 'ws';
import type { Runtime } from '../../local/runtime';

export type Frame = Record<string, unknown>;

/**
 * A raw WebSocket client for tests: it speaks the protocol as docs/protocol.md describes it, keeps
 * every frame it receives, and waits for the next frame that matches.
 */
export class TestSocket {
  readonly received: Frame[] = [];
  private readonly waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];
  private readonly taken = new Set<Frame>();
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.received.push(frame);
      const index = this.waiters.findIndex((waiter) => waiter.match(frame));
      const waiter = index >= 0 ? this.waiters.splice(index, 1)[0] : undefined;
      if (waiter) {
        this.taken.add(frame);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  send(frame: Frame): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string): void {
    this.ws.send(data);
  }

  /** Resolves with the oldest frame not yet taken by an earlier call that matches, waiting for it if need be. */
  next(match: (frame: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const ready = this.received.find((frame) => !this.taken.has(frame) && match(frame));
    if (ready) {
      this.taken.add(ready);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`no matching frame within ${timeoutMs} ms; received ${JSON.stringify(this.received)}`),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends a frame with a request id and resolves with the reply that carries it. */
  request(frame: Frame, timeoutMs = 10_000): Promise<Frame> {
    const requestId =
      typeof frame.requestId === 'string' ? frame.requestId : `r${Math.random().toString(36).slice(2)}`;
    const reply = this.next((f) => f.requestId === requestId, timeoutMs);
    this.send({ ...frame, requestId });
    return reply;
  }

  ofType(type: string): Frame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

export interface ConnectOptions {
  deviceId?: string;
  token?: string;
}

/** Opens a socket as `username`; rejects with the HTTP status when the upgrade is refused. */
export async function connectAs(
  runtime: Runtime,
  username: string,
  options: ConnectOptions = {},
): Promise<TestSocket> {
  const token = options.token ?? (await runtime.issuer.issue(username)).token;
  const url = new URL(runtime.wsUrl);
  url.searchParams.set('token', token);
  if (options.deviceId) url.searchParams.set('deviceId', options.deviceId);
  return openSocket(url.toString());
}

export function openSocket(url: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const socket = new TestSocket(ws);
    ws.once('open', () => resolve(socket));
    ws.once('unexpected-response', (_request, response) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode }),
      );
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

let counter = 0;
/** A client-chosen message id, unique within the test run. */
export function newMessageId(): string {
  counter++;
  return `m-${Date.now().toString(36)}-${counter}`;
}
