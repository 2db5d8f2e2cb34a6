import { describe, expect, it } from 'vitest';
import { useRuntime } from '../support/harness';
import { connectAs } from '../support/socket';

// The sweeper runs often here: it is what closes a socket whose token ran out while it sends nothing.
const harness = useRuntime({ scheduleEveryMs: { sweeper: 250 } });

describe('a connection that only listens', () => {
  it('is closed once its token expired', async () => {
    const { token } = await harness.runtime.issuer.issue('listener', { expiresInSeconds: 2 });
    const socket = await connectAs(harness.runtime, 'listener', { token });
    await socket.next((frame) => frame.type === 'synced');
    expect((await socket.closed).code).toBe(1000);
    expect(await harness.connectionIds('listener')).toEqual([]);
  });
});
