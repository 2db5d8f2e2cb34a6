import { describe, expect, it, vi } from 'vitest';
import { ASYNC_INVOCATIONS } from '../../contract/invocations';
import { type AsyncFailure, createAsyncInvoker } from '../../local/gateway/async-invocations';

describe('asynchronous invocations', () => {
  it('retries a failed run retryAttempts times, then hands the event to the failure destination', async () => {
    const runs: unknown[] = [];
    const failures: AsyncFailure[] = [];
    const invoker = createAsyncInvoker(
      {
        invoke: async (_name, event) => {
          runs.push(event);
          throw new Error('push service down');
        },
      },
      { retryDelaysMs: [1, 1], onFailure: (failure) => failures.push(failure) },
      () => {},
    );
    invoker.invoke('push', { seq: 1 });
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(runs).toHaveLength(1 + ASYNC_INVOCATIONS.push.retryAttempts);
    expect(failures[0]).toMatchObject({
      functionName: 'push',
      event: { seq: 1 },
      attempts: 3,
      error: expect.stringContaining('push service down'),
    });
  });

  it('does not retry a function configured without retries, and stops once a run succeeds', async () => {
    const failures: AsyncFailure[] = [];
    let drainRuns = 0;
    const invoker = createAsyncInvoker(
      {
        invoke: async (name) => {
          if (name === 'drain' && ++drainRuns > 1) return 'ok';
          throw new Error(`${name} failed`);
        },
      },
      { retryDelaysMs: [1, 1], onFailure: (failure) => failures.push(failure) },
      () => {},
    );
    invoker.invoke('sweeper', {});
    invoker.invoke('drain', {});
    await vi.waitFor(() => expect(drainRuns).toBe(2));
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(failures).toMatchObject([{ functionName: 'sweeper', attempts: 1 }]);
  });
});
