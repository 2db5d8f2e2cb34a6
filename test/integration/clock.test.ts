import { describe, expect, it } from 'vitest';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import type { Clock } from '../../lambdas/core/ports';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId } from '../support/socket';

/** Real time plus however far a test has moved it. */
class MovableClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

const clock = new MovableClock();
const harness = useRuntime({ clock, scheduleEveryMs: { sweeper: 100 } });

describe('the handlers’ clock, set by the local runtime', () => {
  it('stamps messages with the clock the runtime was given', async () => {
    const [sender] = await Promise.all([harness.open('clara'), harness.open('cody')]);
    // Less than a token's hour: a connection ends when the handlers' clock passes its token's expiry.
    clock.advance(600_000);
    const ahead = clock.now();

    const ack = await sender.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'cody',
      text: 'later',
    });

    expect(ack.sentAt).toBeGreaterThanOrEqual(ahead);
    expect(ack.sentAt).toBeGreaterThan(Date.now() + 500_000);
  });

  it('lapses a connection once the clock passes its last heartbeat, without waiting for it', async () => {
    const watcher = await harness.open('wanda');
    const users = new DynamoUserStore(harness.db, localTableName('users'));
    const connectedAt = clock.now();
    // A device that vanished without $disconnect, fresh for one more second of the handlers' time;
    // the watcher's own connection stays fresh for the default TTL.
    await users.addConnection({
      userId: 'phantom',
      connectionId: 'PhantomConnection=',
      deviceId: 'lost-phone',
      connectedAt,
      freshUntil: connectedAt + 1000,
    });
    expect((await watcher.request({ action: 'getPresence', users: ['phantom'] })).users).toEqual([
      { userId: 'phantom', state: 'online' },
    ]);

    clock.advance(2000);

    const isOffline = (frame: Frame) =>
      frame.type === 'presence' && JSON.stringify(frame.users).includes('"phantom","state":"offline"');
    const offline = await watcher.next(isOffline);
    expect(offline.users).toEqual([{ userId: 'phantom', state: 'offline', lastSeen: connectedAt }]);
  });
});
