import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../local/telemetry';
import { useRuntime } from '../support/harness';
import { newMessageId, openSocket } from '../support/socket';

const harness = useRuntime();

const logs = () => harness.runtime.telemetry.logs();
const metric = (key: string) => harness.runtime.telemetry.metrics().find((m) => m.key === key)?.sum ?? 0;
const linesAbout = (messageId: string) => logs().filter((record) => record.messageId === messageId);

describe('what the functions log and count', () => {
  it('logs a send once, with its correlation keys and without its text, and counts it stored', async () => {
    const [alice] = await Promise.all([harness.open('olivia', 'olivia-phone'), harness.open('oscar')]);
    const storedBefore = metric('MessagesStored');
    const messageId = newMessageId();

    const ack = await alice.request({
      action: 'sendMessage',
      requestId: 'send-1',
      messageId,
      to: 'oscar',
      text: 'a secret text',
    });

    expect(ack).toMatchObject({ type: 'ack', messageId });
    // The ack goes out before the function has pushed the message and logged the frame.
    const handledLines = () => linesAbout(messageId).filter((record) => record.message === 'frame handled');
    await expect.poll(() => handledLines().length).toBe(1);
    const handled = handledLines();
    expect(handled[0]).toMatchObject({
      level: 'INFO',
      service: 'local',
      function_name: 'sendMessage',
      route: 'sendMessage',
      action: 'sendMessage',
      userId: 'olivia',
      deviceId: 'olivia-phone',
      requestId: 'send-1',
      messageId,
      conversationId: 'olivia:oscar',
    });
    expect(handled[0]?.connectionId).toEqual(expect.any(String));
    expect(handled[0]?.function_request_id).toEqual(expect.any(String));
    expect(JSON.stringify(logs())).not.toContain('a secret text');
    await expect.poll(() => metric('MessagesStored')).toBe(storedBefore + 1);
  });

  it('counts a repeated send as a duplicate answered', async () => {
    const [sender] = await Promise.all([harness.open('dora'), harness.open('dan')]);
    const frame = { action: 'sendMessage', messageId: newMessageId(), to: 'dan', text: 'once' };
    await sender.request(frame);
    const duplicatesBefore = metric('DuplicatesAnswered');

    expect(await sender.request(frame)).toMatchObject({ type: 'ack', duplicate: true });
    expect(metric('DuplicatesAnswered')).toBe(duplicatesBefore + 1);
  });

  it('keeps the keys of concurrent invocations apart', async () => {
    const users = ['ada', 'ben', 'cy', 'di'];
    const sockets = await Promise.all(users.map((user) => harness.open(user)));
    const sends = sockets.map((socket, i) => ({
      socket,
      from: users[i],
      messageId: newMessageId(),
      to: users[(i + 1) % users.length],
    }));

    await Promise.all(
      sends.map(({ socket, messageId, to }) =>
        socket.request({ action: 'sendMessage', messageId, to, text: 'hi' }),
      ),
    );

    for (const { from, messageId } of sends) {
      const handled = () => linesAbout(messageId).filter((record) => record.message === 'frame handled');
      await expect.poll(() => handled().map((record) => record.userId)).toEqual([from]);
    }
  });

  it('counts and logs a refused frame by its error code', async () => {
    const socket = await harness.open('rita');
    const refusedBefore = metric('Errors{code=INVALID_FRAME}');

    const reply = await socket.request({ action: 'sendMessage', requestId: 'bad-1', to: 'x' });

    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
    expect(metric('Errors{code=INVALID_FRAME}')).toBe(refusedBefore + 1);
    const refused = logs().filter(
      (record) => record.message === 'frame refused' && record.requestId === 'bad-1',
    );
    expect(refused).toMatchObject([{ userId: 'rita', code: 'INVALID_FRAME' }]);
  });

  it('logs a refused token with the reason, never the token', async () => {
    const token = 'not-a-jwt-but-secret-enough';
    const before = logs().length;

    const status = await openSocket(`${harness.runtime.wsUrl}?token=${token}`).then(
      () => 'connected',
      (error: { status?: number }) => error.status,
    );

    expect(status).toBe(401);
    const lines: LogRecord[] = logs().slice(before);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'connection refused',
        function_name: 'authorizer',
        reason: 'token invalid, expired or for another client',
        connectionId: expect.any(String),
      }),
    );
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('shows the metrics on the runtime’s /metrics page', async () => {
    const response = await fetch(`${harness.runtime.httpUrl}/metrics`);

    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^MessagesStored\s+\d+/m);
  });
});
