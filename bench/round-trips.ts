import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { type InvocationScope, invocationScope } from '../local/gateway/lambda-runtime';

/**
 * Sequential DynamoDB round trips, per function, counted in the process that runs the handlers.
 *
 * A round trip begins when an invocation starts a DynamoDB request while none of its own is in flight;
 * requests started while another is in flight overlap it and add none. So a handler that awaits three
 * calls one after the other counts 3, one that starts three at once and awaits them together counts 1:
 * the number of DynamoDB latencies the invocation waits for in a row, whatever the call count.
 * `beforeLastPost` is that count at the invocation's last @connections POST: the round trips the last
 * reader waits for (the delivery of a send, the status of a receipt) before API Gateway has the post.
 *
 * Requests are told apart by the invocation scope the local runtime runs each invocation in, so
 * concurrent invocations of one function never merge. DynamoDB requests are seen on `node:http` (the
 * AWS SDK's default handler), @connections posts on `fetch` (lambdas/adapters/signed-fetch.ts) too.
 */
export interface RoundTripCount {
  roundTrips: number;
  beforeLastPost: number;
}

interface Invocation {
  count: RoundTripCount;
  inFlight: number;
  roundTrips: number;
  atLastPost: number;
}

interface RequestMessage {
  request: ClientRequest;
}

/** What undici publishes of a request `fetch` makes (https://undici.nodejs.org/#/docs/api/DiagnosticsChannel). */
interface FetchRequestMessage {
  request: { method: string; path: string };
}

const isPost = (method: string | undefined, path: string) =>
  method === 'POST' && /\/(@|%40)connections\//.test(path);

const START = 'http.client.request.start';
const FETCH_CREATE = 'undici:request:create';
const FINISH = 'http.client.response.finish';
const ERROR = 'http.client.request.error';

export function trackRoundTrips(counts: Record<string, RoundTripCount>): () => void {
  const invocations = new WeakMap<InvocationScope, Invocation>();
  const pending = new WeakMap<ClientRequest, Invocation>();

  const track = (scope: InvocationScope): Invocation => {
    const count = counts[scope.functionName] ?? { roundTrips: 0, beforeLastPost: 0 };
    counts[scope.functionName] = count;
    const invocation = { count, inFlight: 0, roundTrips: 0, atLastPost: 0 };
    invocations.set(scope, invocation);
    return invocation;
  };
  const current = () => {
    const scope = invocationScope.getStore();
    return scope === undefined ? undefined : (invocations.get(scope) ?? track(scope));
  };
  const posted = (invocation: Invocation) => {
    // Summed as increments, so that the total is each invocation's count at its last post.
    invocation.count.beforeLastPost += invocation.roundTrips - invocation.atLastPost;
    invocation.atLastPost = invocation.roundTrips;
  };
  const onStart = (message: unknown) => {
    const { request } = message as RequestMessage;
    const invocation = current();
    if (invocation === undefined) return;
    const target = request.getHeader('x-amz-target');
    if (typeof target === 'string' && target.startsWith('DynamoDB_')) {
      if (invocation.inFlight === 0) {
        invocation.roundTrips++;
        invocation.count.roundTrips++;
      }
      invocation.inFlight++;
      pending.set(request, invocation);
    } else if (isPost(request.method, request.path)) {
      posted(invocation);
    }
  };
  const onFetch = (message: unknown) => {
    const { request } = message as FetchRequestMessage;
    const invocation = isPost(request.method, request.path) ? current() : undefined;
    if (invocation !== undefined) posted(invocation);
  };
  const onEnd = (message: unknown) => {
    const { request } = message as RequestMessage;
    const invocation = pending.get(request);
    if (invocation === undefined) return;
    pending.delete(request);
    invocation.inFlight--;
  };
  subscribe(START, onStart);
  subscribe(FETCH_CREATE, onFetch);
  subscribe(FINISH, onEnd);
  subscribe(ERROR, onEnd);
  return () => {
    unsubscribe(START, onStart);
    unsubscribe(FETCH_CREATE, onFetch);
    unsubscribe(FINISH, onEnd);
    unsubscribe(ERROR, onEnd);
  };
}
