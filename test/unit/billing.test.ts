import { describe, expect, it } from 'vitest';
import { indexWriteUnits, itemSize, readUnitsWithMinimum, writeUnits } from '../../bench/capacity';
import type { CostResult, FlowCost } from '../../bench/cost';
import { countFrame, emptyCounters, subtractCounters } from '../../bench/counters';
import { updatedAttributes } from '../../bench/dynamo-proxy';
import {
  combine,
  emptyUsage,
  LAMBDA_MEMORY_MB,
  PRICES,
  price,
  type Usage,
  usageOf,
} from '../../bench/pricing';
import { ASSUMPTIONS, sizeForMillionUsers } from '../../bench/sizing';
import { LIMITS } from '../../contract/limits';

/**
 * The arithmetic docs/scaling.md's figures rest on: DynamoDB's on-demand units
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html),
 * API Gateway's 32 KB message billing, the list prices, and the one-million-user sizing.
 */

describe('DynamoDB item sizes and capacity units', () => {
  it('counts attribute names and string values in UTF-8 bytes', () => {
    expect(itemSize({ pk: { S: 'user#alice' } })).toBe(2 + 10);
    expect(itemSize({ t: { S: 'é' } })).toBe(1 + 2);
  });

  it('counts a number as one byte per two significant digits, plus one', () => {
    expect(itemSize({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemSize({ n: { N: '1000' } })).toBe(1 + 2);
    expect(itemSize({ n: { N: '-0.05' } })).toBe(1 + 2);
  });

  it('adds three bytes per map or list and one per element', () => {
    expect(itemSize({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 1 + 2));
    expect(itemSize({ l: { L: [{ BOOL: true }, { NULL: true }] } })).toBe(1 + 3 + (1 + 1) + (1 + 1));
  });

  it('bills a write one unit per started kilobyte, at least one', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(4096)).toBe(4);
  });

  it('bills a read at least one unit, half when eventually consistent', () => {
    expect(readUnitsWithMinimum(0, true)).toBe(1);
    expect(readUnitsWithMinimum(0, false)).toBe(0.5);
    expect(readUnitsWithMinimum(3, true)).toBe(3);
  });

  it('bills index writes when an entry appears, changes key, stays, or leaves a sparse index', () => {
    const index = [{ indexName: 'byUserLo', attributes: ['userLo', 'activity'] }];
    const listed = { userLo: { S: 'alice' }, activity: { S: 'a1' } };
    const moved = { userLo: { S: 'alice' }, activity: { S: 'a2' } };
    const unlisted = { activity: { S: 'a2' } };
    expect(indexWriteUnits(index, undefined, listed)).toEqual({ byUserLo: 1 });
    expect(indexWriteUnits(index, listed, moved)).toEqual({ byUserLo: 2 });
    expect(indexWriteUnits(index, listed, { ...listed, other: { N: '1' } })).toEqual({ byUserLo: 1 });
    expect(indexWriteUnits(index, listed, unlisted)).toEqual({ byUserLo: 1 });
    expect(indexWriteUnits(index, unlisted, unlisted)).toEqual({ byUserLo: 0 });
  });

  it('finds the attributes an update expression writes, to rebuild UPDATED_OLD', () => {
    const expression =
      'SET userLo = :lo, #seen = if_not_exists(#seen, :z), lastMessage.text = :t REMOVE sentLo, #c ADD n :one';
    expect(updatedAttributes(expression, { '#seen': 'seenLo', '#c': 'c#1' }).sort()).toEqual(
      ['c#1', 'lastMessage', 'n', 'seenLo', 'sentLo', 'userLo'].sort(),
    );
  });

  it('bills a keys-only index entry by its keys, and not at all when only other attributes change', () => {
    const index = [
      { indexName: 'byUserLo', attributes: ['userLo', 'activity'], projected: ['id', 'userLo', 'activity'] },
    ];
    const head = {
      id: { S: 'alice:bob' },
      userLo: { S: 'alice' },
      activity: { S: 'a1' },
      lastMessage: { S: 'x'.repeat(3000) },
    };
    expect(indexWriteUnits(index, undefined, head)).toEqual({ byUserLo: 1 });
    expect(indexWriteUnits(index, head, { ...head, seenLo: { N: '4' } })).toEqual({ byUserLo: 0 });
    expect(indexWriteUnits(index, head, { ...head, activity: { S: 'a2' } })).toEqual({ byUserLo: 2 });
  });
});

describe('API Gateway frames and counter snapshots', () => {
  it('bills a WebSocket frame per started 32 KB, at least one message', () => {
    const count = emptyCounters().framesIn;
    countFrame(count, 0);
    countFrame(count, 32 * 1024);
    countFrame(count, 32 * 1024 + 1);
    expect(count).toEqual({ frames: 3, bytes: 64 * 1024 + 1, billedMessages: 4 });
  });

  it('subtracts snapshots field by field and drops what did not change', () => {
    const before = emptyCounters();
    before.dynamo['PutItem users'] = {
      calls: 2,
      conditionFailures: 0,
      errors: 0,
      readUnits: 0,
      writeUnits: 2,
    };
    before.dynamo['Query users'] = { calls: 1, conditionFailures: 0, errors: 0, readUnits: 1, writeUnits: 0 };
    before.connections['POST 200'] = 4;
    const after = structuredClone(before);
    after.dynamo['PutItem users'] = {
      calls: 5,
      conditionFailures: 1,
      errors: 0,
      readUnits: 0,
      writeUnits: 6,
    };
    after.connections['POST 200'] = 7;
    after.connections['POST 410'] = 1;

    const delta = subtractCounters(after, before);

    expect(delta.dynamo).toEqual({
      'PutItem users': { calls: 3, conditionFailures: 1, errors: 0, readUnits: 0, writeUnits: 4 },
    });
    expect(delta.connections).toEqual({ 'POST 200': 3, 'POST 410': 1 });
  });
});

describe('prices', () => {
  it('prices each part of a usage at the list prices', () => {
    const usage: Usage = {
      ...emptyUsage(),
      dynamo: { 'PutItem messages': { calls: 1e6, readUnits: 2e6, writeUnits: 4e6, conditionFailures: 0 } },
      lambda: { sendMessage: { invocations: 1e6, billedMs: 1e6 * 100 } },
      apiMessagesIn: 1e6,
      apiMessagesOut: 2e6,
      connectionMinutes: 1e6,
    };

    const dollars = price(usage);

    expect(dollars.apiGateway).toBeCloseTo(3, 10);
    expect(dollars.lambdaRequests).toBeCloseTo(0.2, 10);
    // 100,000 s at 256 MB is 25,000 GB-s.
    expect(dollars.lambdaCompute).toBeCloseTo(1e5 * (LAMBDA_MEMORY_MB / 1024) * PRICES.lambdaGbSecondArm, 10);
    expect(dollars.lambdaCompute).toBeCloseTo(0.333335, 6);
    expect(dollars.dynamoReads).toBeCloseTo(0.25, 10);
    expect(dollars.dynamoWrites).toBeCloseTo(2.5, 10);
    expect(dollars.connectionMinutes).toBeCloseTo(0.25, 10);
    expect(dollars.total).toBeCloseTo(3 + 0.2 + 0.333335 + 0.25 + 2.5 + 0.25, 6);
  });

  it('prices S3 requests, storage and transfer out', () => {
    const usage: Usage = { ...emptyUsage(), s3: { puts: 1000, gets: 10_000, gbStored: 1, gbOut: 1 } };
    expect(price(usage).s3).toBeCloseTo(0.005 + 0.004 + 0.023 + 0.09, 10);
  });

  it('divides a flow’s counters by its units, and weighs usages when combining them', () => {
    const counters = emptyCounters();
    counters.dynamo['Query users'] = {
      calls: 10,
      conditionFailures: 0,
      errors: 0,
      readUnits: 10,
      writeUnits: 0,
    };
    counters.lambda.heartbeat = { invocations: 10, failures: 0, durationMs: 45, billedMs: 50 };
    counters.framesIn = { frames: 10, bytes: 500, billedMessages: 10 };
    counters.connections['POST 200'] = 20;
    const perHeartbeat = usageOf(counters, 10);
    expect(perHeartbeat.dynamo['Query users']?.readUnits).toBe(1);
    expect(perHeartbeat.lambda.heartbeat).toEqual({ invocations: 1, billedMs: 5 });
    expect(perHeartbeat.apiMessagesIn).toBe(1);
    expect(perHeartbeat.posts).toBe(2);

    const combined = combine([
      { usage: perHeartbeat, weight: 3 },
      { usage: perHeartbeat, weight: 0.5 },
    ]);
    expect(combined.dynamo['Query users']?.readUnits).toBe(3.5);
    expect(combined.lambda.heartbeat?.billedMs).toBe(17.5);
    expect(combined.posts).toBe(7);
  });
});

describe('sizing for one million daily users', () => {
  function flow(name: string, usage: Usage): FlowCost {
    return {
      flow: name,
      label: name,
      unit: 'message',
      source: 'measured',
      note: undefined,
      samples: 1,
      usage,
      totals: { dynamoCalls: 0, readUnits: 0, writeUnits: 0, invocations: 0, billedMs: 0 },
      dollars: price(usage),
      perMillion: price(usage).total * 1e6,
    };
  }
  const oneWriteUnit = (operation: string): Usage => ({
    ...emptyUsage(),
    dynamo: { [operation]: { calls: 1, readUnits: 0, writeUnits: 1, conditionFailures: 0 } },
    lambda: { f: { invocations: 1, billedMs: 10 } },
    apiMessagesIn: 1,
  });
  const cost: CostResult = {
    flows: [
      flow('chat-open', oneWriteUnit('PutItem messages')),
      flow('heartbeat', oneWriteUnit('UpdateItem users')),
      flow('session', oneWriteUnit('PutItem users')),
      flow('sweep', {
        ...emptyUsage(),
        dynamo: { 'BatchGetItem users': { calls: 1, readUnits: 60, writeUnits: 0, conditionFailures: 0 } },
      }),
    ],
    lambdaMeanMs: {},
    drainCompleted: true,
  };

  it('derives the busiest second from the assumptions', () => {
    const sizing = sizeForMillionUsers(cost);
    if (!sizing) throw new Error('no sizing');
    const { peak } = sizing;
    // 40 messages a day each, 10% in the busiest hour, twice the hour's average in its busiest second.
    expect(peak.messagesPerSecond).toBeCloseTo(((1e6 * 40 * 0.1) / 3600) * 2, 6);
    expect(Math.round(peak.messagesPerSecond)).toBe(2222);
    expect(peak.concurrentConnections).toBe(100_000);
    expect(Math.round(peak.connectsPerSecond)).toBe(444);
    expect(peak.heartbeatsPerSecond).toBeCloseTo(100_000 / (LIMITS.heartbeatIntervalMs / 1000), 6);
    expect(peak.dynamo.messages?.writeUnits).toBeCloseTo(peak.messagesPerSecond, 6);
    expect(peak.dynamo.users?.writeUnits).toBeCloseTo(peak.heartbeatsPerSecond + peak.connectsPerSecond, 6);
    // The sweeper reads each live connection's profile 60 times an hour.
    expect(peak.dynamo.users?.readUnits).toBeCloseTo((100_000 * 60) / 3600, 6);
    const invocations = peak.messagesPerSecond + peak.heartbeatsPerSecond + peak.connectsPerSecond;
    expect(peak.lambdaInvocationsPerSecond).toBeCloseTo(invocations, 6);
    expect(peak.lambdaConcurrency).toBeCloseTo(
      ((invocations * 10) / 1000) * ASSUMPTIONS.awsDurationFactor,
      6,
    );
  });

  it('prices a day from the per-unit dollars of each flow', () => {
    const sizing = sizeForMillionUsers(cost);
    if (!sizing) throw new Error('no sizing');
    const perUnit = price(oneWriteUnit('x')).total;
    expect(sizing.perDay.messages).toBeCloseTo(1e6 * 40 * perUnit, 6);
    expect(sizing.perDay.connectionMinutes).toBeCloseTo(1e6 * 60 * PRICES.apiGatewayConnectionMinute, 6);
    // An hour connected a day each: a million connected hours of the sweeper's reads.
    expect(sizing.perDay.sweeps).toBeCloseTo(1e6 * 60 * PRICES.dynamoReadUnit, 6);
    expect(sizing.perDay.total).toBeCloseTo(
      sizing.perDay.messages +
        sizing.perDay.heartbeats +
        sizing.perDay.sweeps +
        sizing.perDay.sessions +
        sizing.perDay.connectionMinutes,
      6,
    );
  });

  it('gives no sizing without the message, heartbeat, session and sweep flows', () => {
    expect(sizeForMillionUsers({ ...cost, flows: cost.flows.slice(1) })).toBeUndefined();
  });
});
