import WebSocket from 'ws';
import { ChatClient, isRetryable } from '../client/index';
import type { SystemName } from './options';

export interface Target {
  system: SystemName;
  wsUrl: string;
  /** The local issuer's base URL; the floors have none (they take the user name from the URL). */
  httpUrl: string | undefined;
}

/** A token from the local issuer, over HTTP as any client gets one (docs/protocol.md). */
async function tokenFor(httpUrl: string, user: string): Promise<string> {
  const response = await fetch(`${httpUrl}/auth/token?username=${encodeURIComponent(user)}`);
  if (!response.ok) throw new Error(`token for ${user}: HTTP ${response.status}`);
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new Error(`token for ${user}: no token in the answer`);
  return body.token;
}

/** Far beyond any run: the latency runs leave receipts out, since the floors have none. */
export const NO_RECEIPTS_MS = 2 ** 31 - 1;

export interface UserOptions {
  deviceId?: string;
  /** How long the library lets receipts gather; NO_RECEIPTS_MS keeps it from sending any. */
  receiptDelayMs: number;
}

/**
 * A simulated user: the project's client library (client/chat-client.ts) over the `ws` package, with
 * a token from the local issuer. The floors take the user from the URL and ignore the token.
 */
export async function connectUser(target: Target, user: string, options: UserOptions): Promise<ChatClient> {
  const url = new URL(target.wsUrl);
  const { httpUrl } = target;
  if (httpUrl === undefined) url.searchParams.set('user', user);
  const client = new ChatClient({
    url: url.toString(),
    userId: user,
    deviceId: options.deviceId ?? `bench-${user}`,
    getToken: () => (httpUrl === undefined ? Promise.resolve('floor') : tokenFor(httpUrl, user)),
    WebSocket,
    receiptDelayMs: options.receiptDelayMs,
  });
  await client.connect();
  return client;
}

/** Runs `work` over `items` with at most `limit` at a time. */
export async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.entries();
  const worker = async () => {
    for (const [index, item] of queue) results[index] = await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Longest pause between two attempts of one request. */
export const MAX_BACKOFF_MS = 5000;

/** A request retried, as the protocol asks, while it fails with a retryable error. */
export async function withRetries<T>(request: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
    }
  }
}
