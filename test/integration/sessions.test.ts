import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../contract/environment';
import { USERS_TABLE } from '../../contract/tables';
import { localTableName } from '../../local/provision';
import { S3RVER_CREDENTIALS } from '../../local/s3';
import { useRuntime } from '../support/harness';
import { connectAs, type Frame, type TestSocket } from '../support/socket';

const harness = useRuntime();
const { open } = harness;

const refusal = (promise: Promise<TestSocket>) =>
  promise.then(
    () => 'connected',
    (error: { status?: number }) => error.status,
  );

/** The next second of the token clock: `iat` has whole seconds, and a sign-out refuses its own second. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 10);
}

/** Sends heartbeats until one is refused: the token's expiry is a time, not an event the test can await. */
async function heartbeatUntilRefused(socket: TestSocket): Promise<Frame> {
  for (let i = 0; ; i++) {
    const reply = await socket.request({ action: 'heartbeat', requestId: `hb-${i}` });
    if (reply.type === 'error') return reply;
    await sleep(200);
  }
}

describe('tokens', () => {
  it('refuses a token without exp with 401', async () => {
    const { token } = await harness.runtime.issuer.issue('noexp', { withoutExpiry: true });
    expect(await refusal(connectAs(harness.runtime, 'noexp', { token }))).toBe(401);
  });

  it('refuses frames once the token expired, with TOKEN_EXPIRED, and closes the connection', async () => {
    const { token, expiresAt } = await harness.runtime.issuer.issue('brief', { expiresInSeconds: 2 });
    const socket = await connectAs(harness.runtime, 'brief', { token, deviceId: 'phone' });
    const first = await socket.request({ action: 'heartbeat', requestId: 'hb-first' });
    // The connection counts as live no longer than its token.
    expect(Number(first.expiresAt)).toBeLessThanOrEqual(expiresAt);

    const refused = await heartbeatUntilRefused(socket);
    expect(refused).toMatchObject({ type: 'error', code: 'TOKEN_EXPIRED' });
    expect(refused.requestId).toMatch(/^hb-/);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect((await socket.closed).code).toBe(1000);
    await expect.poll(() => harness.connectionIds('brief')).toEqual([]);
  });
});

describe('sign out everywhere', () => {
  it('closes every connection of the user and refuses tokens issued before it', async () => {
    const { token: oldToken } = await harness.runtime.issuer.issue('sol');
    const [phone, laptop, tablet] = await Promise.all(
      ['phone', 'laptop', 'tablet'].map((deviceId) =>
        connectAs(harness.runtime, 'sol', { token: oldToken, deviceId }),
      ),
    );
    const other = await open('tia');
    await expect.poll(async () => (await harness.connectionIds('sol')).length).toBe(3);

    expect(await phone?.request({ action: 'signOutEverywhere', requestId: 'out1' })).toEqual({
      type: 'ok',
      requestId: 'out1',
    });
    const closes = await Promise.all([phone, laptop, tablet].map((socket) => socket?.closed));
    expect(closes.map((close) => close?.code)).toEqual([1000, 1000, 1000]);
    await expect.poll(() => harness.connectionIds('sol')).toEqual([]);

    // The old token opens nothing any more; a token issued after the sign-out does.
    expect(await refusal(connectAs(harness.runtime, 'sol', { token: oldToken }))).toBe(401);
    await nextSecond();
    const again = await open('sol', 'phone');
    expect((await again.request({ action: 'heartbeat' })).type).toBe('heartbeat');
    // Nobody else was touched.
    expect((await other.request({ action: 'heartbeat' })).type).toBe('heartbeat');
  });

  it('is also an operator command: npm run sign-out-everywhere', async () => {
    const { token } = await harness.runtime.issuer.issue('uma');
    const socket = await connectAs(harness.runtime, 'uma', { token });
    await socket.next((frame) => frame.type === 'synced');

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bin/sign-out-everywhere.ts', 'uma'],
      {
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: harness.runtime.dynamoEndpoint,
          [USERS_TABLE.envVar]: localTableName('users'),
          [ENV.connectionsEndpoint]: harness.runtime.connectionsEndpoint,
        },
      },
    );
    expect(stdout).toContain('Signed uma out everywhere; closed 1 connection(s).');
    expect((await socket.closed).code).toBe(1000);
    expect(await refusal(connectAs(harness.runtime, 'uma', { token }))).toBe(401);
  });
});
