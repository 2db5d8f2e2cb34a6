import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import type { Connection } from '../../lambdas/core/ports';
import { localTableName } from '../../local/provision';
import { ENGINES, useStoreServer } from '../support/store-server';

describe.each(ENGINES)('presence data on %s', (engine) => {
  const server = useStoreServer(engine);
  let users: DynamoUserStore;

  beforeAll(() => {
    users = new DynamoUserStore(server.db(), localTableName('users'));
  });

  const connection = (userId: string, connectionId: string, freshUntil: number): Connection => ({
    userId,
    connectionId,
    deviceId: 'd',
    connectedAt: 1_000,
    freshUntil,
  });

  it('finds every connection stored with a lapsed freshness, in every shard of the index', async () => {
    const expired = Array.from({ length: 30 }, (_, i) => connection(`exp${i % 3}`, `E${i}=`, 2_000 + i));
    await Promise.all(expired.map((c) => users.addConnection(c)));
    await users.addConnection(connection('exp0', 'Fresh=', 9_000));

    const found = await users.expiredConnections(5_000);
    expect(found.map((c) => c.connectionId).sort()).toEqual(expired.map((c) => c.connectionId).sort());
    expect(found.find((c) => c.connectionId === 'E7=')).toEqual(expired[7]);
  });

  it('refreshes only the profile, so the index keeps the stored freshness and the profile read decides', async () => {
    await users.addConnection(connection('beat', 'B=', 2_000));
    expect(await users.refreshConnection('beat', 'B=', 8_000, 1_500)).toBe(true);
    expect((await users.getUser('beat', 5_000)).connections.map((c) => c.freshUntil)).toEqual([8_000]);
    expect(await users.expiredConnections(5_000)).toContainEqual(connection('beat', 'B=', 2_000));
    // A heartbeat after the freshness lapsed is refused: the caller stores the connection again.
    expect(await users.refreshConnection('beat', 'B=', 20_000, 8_000)).toBe(false);
  });

  it('removes a connection only once it lapsed, returning it with its last freshness', async () => {
    await users.addConnection(connection('race', 'R=', 2_000));
    expect(await users.refreshConnection('race', 'R=', 8_000, 1_500)).toBe(true);
    expect(await users.removeConnection('race', 'R=', { ifLapsedAt: 3_000 })).toBeUndefined();
    expect((await users.getUser('race', 3_000)).connections).toHaveLength(1);
    expect(await users.removeConnection('race', 'R=', { ifLapsedAt: 8_000 })).toEqual(
      connection('race', 'R=', 8_000),
    );
    expect(await users.removeConnection('race', 'R=')).toBeUndefined();
    expect(await users.expiredConnections(10_000)).not.toContainEqual(
      expect.objectContaining({ connectionId: 'R=' }),
    );
  });

  it('records a clean disconnect as activity only while the connection is fresh', async () => {
    await users.addConnection(connection('leaver', 'L=', 5_000));
    expect(await users.removeConnection('leaver', 'L=', { activeAt: 4_000 })).toEqual(
      connection('leaver', 'L=', 5_000),
    );
    expect((await users.getUser('leaver', 4_000)).profile?.lastActiveAt).toBe(4_000);
    await users.addConnection(connection('leaver', 'M=', 5_000));
    expect(await users.removeConnection('leaver', 'M=', { activeAt: 6_000 })).toEqual(
      connection('leaver', 'M=', 5_000),
    );
    expect((await users.getUser('leaver', 6_000)).profile?.lastActiveAt).toBe(1_000);
  });

  it('removes a connection item left without a profile, and never creates one', async () => {
    await server.db().send(
      new PutCommand({
        TableName: localTableName('users'),
        Item: { pk: 'user#orphan', sk: '#conn#O=', ...connection('orphan', 'O=', 2_000), expiryShard: 'x#0' },
      }),
    );
    expect(await users.removeConnection('orphan', 'O=')).toEqual(connection('orphan', 'O=', 2_000));
    expect(await users.expiredConnections(5_000)).not.toContainEqual(
      expect.objectContaining({ connectionId: 'O=' }),
    );
    expect((await users.getUser('orphan', 1_000)).profile).toBeUndefined();
  });

  it('leaves a connection that was stored again after its profile copy was swept', async () => {
    await users.addConnection(connection('back', 'K=', 2_000));
    // The sweep at 3,000 removes the profile copy; a late heartbeat stores the connection again.
    expect(await users.removeConnection('back', 'K=', { ifLapsedAt: 3_000 })).toEqual(
      connection('back', 'K=', 2_000),
    );
    await users.addConnection(connection('back', 'K=', 9_000));
    expect(await users.removeConnection('back', 'K=', { ifLapsedAt: 3_000 })).toBeUndefined();
    expect((await users.getUser('back', 5_000)).connections.map((c) => c.connectionId)).toEqual(['K=']);
  });

  it('updates only the settings given, reads them when none are, and creates no profile', async () => {
    await users.addConnection(connection('sett', 'S=', 9_000));
    expect(await users.updateSettings('sett', {})).toEqual({
      readReceipts: true,
      lastSeenVisibility: 'everyone',
      pushPreviews: true,
    });
    expect(await users.updateSettings('sett', { lastSeenVisibility: 'nobody' })).toEqual({
      readReceipts: true,
      lastSeenVisibility: 'nobody',
      pushPreviews: true,
    });
    expect(await users.updateSettings('sett', { readReceipts: false, pushPreviews: false })).toEqual({
      readReceipts: false,
      lastSeenVisibility: 'nobody',
      pushPreviews: false,
    });
    expect((await users.getUser('sett', 5_000)).profile).toMatchObject({
      readReceipts: false,
      lastSeenVisibility: 'nobody',
      pushPreviews: false,
    });
    await expect(users.updateSettings('never-signed-in', { readReceipts: false })).rejects.toThrow();
    expect(await users.removeConnection('never-signed-in', 'N=', { activeAt: 5_000 })).toBeUndefined();
    expect((await users.getUser('never-signed-in', 5_000)).profile).toBeUndefined();
  });

  it('lists fresh watchers only, up to the limit, and keeps them out of the user read', async () => {
    await users.addConnection(connection('star', 'W=', 9_000));
    await users.addWatchers('fan1', ['star', 'other'], 5_000);
    await users.addWatchers('fan2', ['star'], 3_000);
    await users.addWatchers('fan3', ['star'], 6_000);
    expect((await users.watchersOf('star', 4_000, 10)).sort()).toEqual(['fan1', 'fan3']);
    expect(await users.watchersOf('star', 4_000, 1)).toHaveLength(1);
    expect(await users.watchersOf('other', 4_000, 10)).toEqual(['fan1']);
    expect((await users.getUser('other', 4_000)).profile).toBeUndefined();
    expect((await users.getUser('star', 4_000)).connections.map((c) => c.connectionId)).toEqual(['W=']);
  });
});
