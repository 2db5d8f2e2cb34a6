import { afterAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime';
import { startTestRuntime, temporaryDir } from '../support/runtime';
import { connectAs, newMessageId } from '../support/socket';

const dataDir = temporaryDir('chat-restart-');
let runtime: Runtime | undefined;

afterAll(async () => {
  await runtime?.stop();
  dataDir.remove();
});

describe('a data folder', () => {
  it('keeps users, messages and tokens across a restart', async () => {
    runtime = await startTestRuntime({ dataDir: dataDir.path });
    const { port, dynamoPort, s3Port } = runtime;
    const { token } = await runtime.issuer.issue('alice');
    const alice = await connectAs(runtime, 'alice', { token });
    const bob = await connectAs(runtime, 'bob');
    await alice.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'bob',
      text: 'before restart',
    });
    await Promise.all([alice.close(), bob.close()]);
    await runtime.stop();

    // The same ports: the handler modules already loaded in this process keep their endpoints.
    runtime = await startTestRuntime({ dataDir: dataDir.path, port, dynamoPort, s3Port });
    const again = await connectAs(runtime, 'alice', { token });
    const bobAgain = await connectAs(runtime, 'bob');
    const ack = await again.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'bob',
      text: 'after',
    });
    expect(ack).toMatchObject({ type: 'ack', conversationId: 'alice:bob', seq: 2 });
    await bobAgain.next((frame) => frame.type === 'message' && frame.seq === 2);
    await Promise.all([again.close(), bobAgain.close()]);
  });
});
