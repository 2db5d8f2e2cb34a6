import { randomBytes } from 'node:crypto';
import type { ChatClient } from '../client/index';
import { LIMITS } from '../contract/limits';
import type { PushSubscriptionJson } from '../contract/protocol/frames';
import { conversationIdOf } from '../contract/protocol/ids';
import { SCHEDULES } from '../contract/routes';
import { USERS_TABLE } from '../contract/tables';
import { localTableName } from '../local/provision';
import { connectUser, NO_RECEIPTS_MS, type Target, withRetries } from './client';
import { type Counters, subtractCounters } from './counters';
import { combine, type Dollars, emptyUsage, price, totals, type Usage, usageOf } from './pricing';
import type { Progress } from './progress';
import { distribution } from './stats';
import type { SystemProcess } from './system';

/** composite: a sum of other flows; model: counted from what the code reads, not measured. */
export type FlowSource = 'measured' | 'composite' | 'model';

export interface FlowCost {
  flow: string;
  label: string;
  /** What one unit of the flow is; dollars are per unit, perMillion per million units. */
  unit: 'message' | 'receipt' | 'heartbeat' | 'session' | 'connection-hour';
  source: FlowSource;
  note: string | undefined;
  samples: number;
  usage: Usage;
  totals: ReturnType<typeof totals>;
  dollars: Dollars;
  perMillion: number;
}

export interface CostResult {
  flows: FlowCost[];
  /** Mean handler duration in the cost phase (quiet server), by function. */
  lambdaMeanMs: Record<string, number>;
  /** Whether every reconnect ended with a `synced` event. */
  drainCompleted: boolean;
}

const SENDER = 'cost-a';
const RECIPIENT = 'cost-b';
/** The recipient's device that reads with the chat open and later reconnects. */
const READER = 'cost-b-reader';
const VISITOR = 'cost-c';
/** A recipient whose one device has a push subscription and is offline. */
const PUSH_RECIPIENT = 'cost-d';
const PUSH_POLL_MS = 5;
const QUIET_POLL_MS = 100;
/** Polls in a row without change, with nothing running, that count as quiet. */
const QUIET_POLLS = 2;
const QUIET_MAX_POLLS = 200;
/** Generous: the machine may be busy with other work. */
const EVENT_TIMEOUT_MS = 30_000;
/** The library's own receipt batching window, for the flow that lets it send receipts as an app would. */
const LIBRARY_RECEIPT_DELAY_MS = 250;
const MEDIA_BYTES = 200 * 1024;
/** A staging copy lives one day (the lifecycle rule) beside the kept copy: a thirtieth of a month. */
const STAGING_MONTHS = 1 / 30;

/** A JPEG as far as the server's sniffing reads (its SOI and JFIF markers), padded to `size` bytes. */
function jpegOfSize(size: number): Buffer {
  const header = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
  return Buffer.concat([header, randomBytes(size - header.length)]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection item as the sweeper's index returns it (keys, ids, times, shard, TTL), in bytes. */
const CONNECTION_ENTRY_BYTES = 200;

/**
 * What the sweeper reads for one live connection in an hour (it cannot be measured in a short run:
 * it starts once the connection outlived its first freshness). Each sweep reads, for every connection
 * older than that, its user's profile in a strongly consistent BatchGetItem (1 read unit for a profile
 * under 4 KB, 100 to a call) and its entry in the byExpiry index (an eventually consistent Query, half
 * a unit per 4 KB). The sweeper's own invocation, once a minute for the whole deployment, and the
 * writes of connections that lapsed are left out: they do not grow with connected hours.
 */
function sweepUsagePerHour(): Usage {
  const sweeper = SCHEDULES.find((schedule) => schedule.function === 'sweeper');
  if (!sweeper) throw new Error('no sweeper schedule');
  const sweeps = 3_600_000 / sweeper.everyMs;
  const table = localTableName(USERS_TABLE.name);
  const usage = emptyUsage();
  usage.dynamo[`BatchGetItem ${table}`] = {
    calls: sweeps / 100,
    readUnits: sweeps,
    writeUnits: 0,
    conditionFailures: 0,
  };
  usage.dynamo[`Query ${table}`] = {
    calls: 0,
    readUnits: (sweeps * CONNECTION_ENTRY_BYTES * 0.5) / 4096,
    writeUnits: 0,
    conditionFailures: 0,
  };
  return usage;
}

/** A reconnect of the recipient's reading device: open, the automatic sync, its receipt, close. */
async function reconnect(target: Target): Promise<boolean> {
  const back = await connectUser(target, RECIPIENT, {
    receiptDelayMs: LIBRARY_RECEIPT_DELAY_MS,
    deviceId: READER,
  });
  try {
    return await back.next('synced', undefined, EVENT_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
  } finally {
    // The library's "delivered" receipt for what the sync brought goes out after its delay.
    await sleep(LIBRARY_RECEIPT_DELAY_MS * 2);
    back.close();
  }
}

/**
 * Subscribes a device of PUSH_RECIPIENT at the system's local push service, tells the server, and
 * closes it: every later message to PUSH_RECIPIENT is pushed. `next` waits for the next push to arrive.
 */
async function offlineSubscribedDevice(
  target: Target,
  pushServiceUrl: string | undefined,
): Promise<{ next(): Promise<void> }> {
  if (pushServiceUrl === undefined) throw new Error('The system under test has no local push service');
  const created = await fetch(`${pushServiceUrl}/subscriptions`, { method: 'POST' });
  const subscription = (await created.json()) as PushSubscriptionJson;
  const messages = `${pushServiceUrl}/subscriptions/${subscription.endpoint.split('/').at(-1)}/messages`;
  const device = await connectUser(target, PUSH_RECIPIENT, {
    receiptDelayMs: NO_RECEIPTS_MS,
    deviceId: `${PUSH_RECIPIENT}-phone`,
  });
  await withRetries(() => device.request('setPushSubscription', { subscription }));
  device.close();
  return {
    async next() {
      const deadline = performance.now() + EVENT_TIMEOUT_MS;
      while (performance.now() < deadline) {
        const taken = (await (await fetch(messages, { method: 'DELETE' })).json()) as unknown[];
        if (taken.length > 0) return;
        await sleep(PUSH_POLL_MS);
      }
      throw new Error('No push arrived at the local push service');
    },
  };
}

export async function runCost(
  system: SystemProcess,
  samples: number,
  progress: Progress,
): Promise<CostResult> {
  const target: Target = { system: 'chat', wsUrl: system.wsUrl, httpUrl: system.httpUrl };
  const snapshot = async (): Promise<Counters> => (await system.counters()).counters;
  /** Counters once nothing runs and nothing moves ($disconnect, drains and posts outlive the replies). */
  const quiet = async (): Promise<Counters> => {
    let previous = await snapshot();
    let unchanged = 0;
    for (let poll = 0; poll < QUIET_MAX_POLLS && unchanged < QUIET_POLLS; poll++) {
      await sleep(QUIET_POLL_MS);
      const next = await snapshot();
      const same = JSON.stringify(next) === JSON.stringify(previous) && next.invocationsInFlight === 0;
      unchanged = same ? unchanged + 1 : 0;
      previous = next;
    }
    return previous;
  };
  const measure = async (units: number, work: () => Promise<void>): Promise<Usage> => {
    const before = await quiet();
    await work();
    return usageOf(subtractCounters(await quiet(), before), units);
  };
  const flows: FlowCost[] = [];
  const add = (flow: Omit<FlowCost, 'totals' | 'dollars' | 'perMillion'>) => {
    const dollars = price(flow.usage);
    flows.push({ ...flow, totals: totals(flow.usage), dollars, perMillion: dollars.total * 1e6 });
  };
  const text = 'x'.repeat(100);
  const sessionSamples = Math.min(samples, 10);
  const mediaSamples = Math.min(samples, 10);
  const librarySamples = Math.min(samples, 20);
  const steps = 8;
  let step = 0;
  const advance = (what: string) => progress.update(step++ / steps, what);

  const sender = await connectUser(target, SENDER, { receiptDelayMs: NO_RECEIPTS_MS });
  const recipient = await connectUser(target, RECIPIENT, { receiptDelayMs: NO_RECEIPTS_MS });
  const conversationId = conversationIdOf(SENDER, RECIPIENT);
  let messageCounter = 0;
  /** Each conversation's last seq as the sender knows it, sent along as the client library does. */
  const lastSeq = new Map<string, number>();

  /** Sends one message and waits for its ack and, when the recipient is online, its delivery. */
  const sendOne = async (online: ChatClient | undefined, to = RECIPIENT): Promise<number> => {
    const messageId = `cost-${Date.now().toString(36)}-${messageCounter++}`;
    const delivered = online
      ? online.next('message', (event) => event.messageId === messageId, EVENT_TIMEOUT_MS)
      : undefined;
    const ack = await withRetries(() =>
      sender.request('sendMessage', { messageId, to, text, afterSeq: lastSeq.get(to) ?? 0 }),
    );
    await delivered;
    lastSeq.set(to, Math.max(lastSeq.get(to) ?? 0, ack.seq));
    return ack.seq;
  };

  try {
    advance('sessions');
    const session = await measure(sessionSamples, async () => {
      for (let i = 0; i < sessionSamples; i++) {
        const visitor = await connectUser(target, VISITOR, { receiptDelayMs: NO_RECEIPTS_MS });
        // A session includes the automatic sync; the library's first heartbeat waits an interval, and
        // the connected hour counts the heartbeats.
        await visitor.next('synced', undefined, EVENT_TIMEOUT_MS);
        visitor.close();
      }
    });
    add({
      flow: 'session',
      label: 'connect (authorizer, $connect, drain) and $disconnect, no contacts',
      unit: 'session',
      source: 'measured',
      note: undefined,
      samples: sessionSamples,
      usage: session,
    });

    advance('heartbeats');
    const heartbeat = await measure(samples, async () => {
      for (let i = 0; i < samples; i++) await withRetries(() => sender.request('heartbeat', {}));
    });
    add({
      flow: 'heartbeat',
      label: 'heartbeat',
      unit: 'heartbeat',
      source: 'measured',
      note: undefined,
      samples,
      usage: heartbeat,
    });

    advance('sends to an online user');
    const seqs: number[] = [];
    const online = await measure(samples, async () => {
      for (let i = 0; i < samples; i++) seqs.push(await sendOne(recipient));
    });
    if (totals(online).dynamoCalls === 0) {
      throw new Error(
        'The counting proxy saw no DynamoDB calls: the handlers no longer pick up its endpoint',
      );
    }
    add({
      flow: 'send-online',
      label: 'send to an online user (ack + delivery)',
      unit: 'message',
      source: 'measured',
      note: undefined,
      samples,
      usage: online,
    });

    advance('media messages');
    const image = jpegOfSize(MEDIA_BYTES);
    const media = await measure(mediaSamples, async () => {
      for (let i = 0; i < mediaSamples; i++) {
        const messageId = `cost-media-${Date.now().toString(36)}-${messageCounter++}`;
        const delivered = recipient.next(
          'message',
          (event) => event.messageId === messageId,
          EVENT_TIMEOUT_MS,
        );
        await sender.sendMedia({
          to: RECIPIENT,
          file: new Blob([new Uint8Array(image)], { type: 'image/jpeg' }),
          messageId,
        });
        const url = (await delivered).media?.url;
        if (!url) throw new Error('The media message arrived without a download URL');
        const download = await fetch(url);
        if ((await download.arrayBuffer()).byteLength !== image.length) throw new Error('Short download');
      }
    });
    media.s3.gbStored = (MEDIA_BYTES / 1024 ** 3) * (1 + STAGING_MONTHS);
    add({
      flow: 'media',
      label: `media message, ${MEDIA_BYTES / 1024} KB image: slot, POST upload, verified send, one download`,
      unit: 'message',
      source: 'measured',
      note: 'S3 requests counted at the local S3; storage: the kept copy for one month and the staging copy for one day',
      samples: mediaSamples,
      usage: media,
    });

    advance('receipts');
    const receipts: Record<'delivered' | 'seen', Usage> = { delivered: emptyUsage(), seen: emptyUsage() };
    for (const status of ['delivered', 'seen'] as const) {
      // As the library sends them: no requestId, so no reply; the sender's `status` shows it was stored.
      receipts[status] = await measure(seqs.length, async () => {
        for (const upTo of seqs) {
          const moved = sender.next(
            'status',
            (event) =>
              event.userId === RECIPIENT && (status === 'seen' ? (event.seen ?? 0) : event.delivered) >= upTo,
            EVENT_TIMEOUT_MS,
          );
          if (!recipient.sendReceipt(conversationId, status, upTo))
            throw new Error('The recipient is offline');
          await moved;
        }
      });
      add({
        flow: `receipt-${status}`,
        label: `"${status}" receipt without a requestId (no reply; status post to the sender)`,
        unit: 'receipt',
        source: 'measured',
        note: undefined,
        samples: seqs.length,
        usage: receipts[status],
      });
    }
    add({
      flow: 'chat-open',
      label: 'message + ack + "delivered" + "seen" receipts (recipient has the chat open)',
      unit: 'message',
      source: 'composite',
      note: 'send-online + receipt-delivered + receipt-seen',
      samples,
      usage: combine([
        { usage: online, weight: 1 },
        { usage: receipts.delivered, weight: 1 },
        { usage: receipts.seen, weight: 1 },
      ]),
    });

    advance('chat open, as the client library does it');
    // The recipient's app shows each message as it arrives; the library gathers receipts for
    // LIBRARY_RECEIPT_DELAY_MS and sends one "seen", which covers "delivered".
    recipient.close();
    const reader = await connectUser(target, RECIPIENT, {
      receiptDelayMs: LIBRARY_RECEIPT_DELAY_MS,
      deviceId: READER,
    });
    reader.on('message', (event) => reader.markSeen(event.conversationId, event.seq));
    const library = await measure(librarySamples, async () => {
      for (let i = 0; i < librarySamples; i++) {
        const seq = await sendOne(reader);
        await sender.next(
          'status',
          (event) => event.userId === RECIPIENT && (event.seen ?? 0) >= seq,
          EVENT_TIMEOUT_MS,
        );
      }
    });
    reader.close();
    add({
      flow: 'chat-open-library',
      label: 'message to a user with the chat open, receipts as the client library sends them',
      unit: 'message',
      source: 'measured',
      note: 'one "seen" receipt per message when messages come more than 250 ms apart',
      samples: librarySamples,
      usage: library,
    });

    advance('sends to an offline user and the drain');
    // The drain is what a reconnect with messages waiting costs beyond one with nothing waiting.
    await reconnect(target);
    let synced = true;
    const idle = await measure(1, async () => {
      synced = (await reconnect(target)) && synced;
    });
    const offline = await measure(samples, async () => {
      for (let i = 0; i < samples; i++) await sendOne(undefined);
    });
    const backlog = await measure(samples, async () => {
      synced = (await reconnect(target)) && synced;
    });
    add({
      flow: 'reconnect',
      label: 'reconnect of a user with one contact and nothing waiting (presence to the contact)',
      unit: 'session',
      source: 'measured',
      note: undefined,
      samples: 1,
      usage: idle,
    });
    add({
      flow: 'send-offline-drain',
      label: 'send to an offline user + its share of the drain when they reconnect',
      unit: 'message',
      source: 'measured',
      note: synced
        ? `${samples} messages waiting, drained in one reconnect`
        : 'no synced event after a reconnect: the drain did not complete',
      samples,
      usage: combine([
        { usage: offline, weight: 1 },
        { usage: backlog, weight: 1 },
        { usage: idle, weight: -1 / samples },
      ]),
    });

    advance('sends to an offline user with a push subscription');
    // Each message is pushed before the next is sent, as messages minutes apart are; a burst costs
    // less (the push function skips a message its sender has already followed).
    const pushDevice = await offlineSubscribedDevice(target, system.pushServiceUrl);
    const sendToPushMs: number[] = [];
    const pushed = await measure(samples, async () => {
      for (let i = 0; i < samples; i++) {
        const began = performance.now();
        await sendOne(undefined, PUSH_RECIPIENT);
        await pushDevice.next();
        sendToPushMs.push(performance.now() - began);
      }
    });
    const latency = distribution(sendToPushMs);
    add({
      flow: 'send-offline-push',
      label: 'send to an offline user whose device has a push subscription (ack, push function, Web Push)',
      unit: 'message',
      source: 'measured',
      note: `Web Push services charge nothing per push; the asynchronous invocation is billed as a Lambda request. Send to decrypted push locally: median ${latency.p50.toFixed(0)} ms, p90 ${latency.p90.toFixed(0)} ms; the drain at reconnect is as in send-offline-drain`,
      samples,
      usage: pushed,
    });

    const sweep = sweepUsagePerHour();
    add({
      flow: 'sweep',
      label: "the sweeper's reads for one live connection over an hour",
      unit: 'connection-hour',
      source: 'model',
      note: 'a profile read and an index entry per sweep, once the connection outlived its first freshness',
      samples: 0,
      usage: sweep,
    });

    const connectionHour = emptyUsage();
    connectionHour.connectionMinutes = 60;
    const hourlyHeartbeats = 3_600_000 / LIMITS.heartbeatIntervalMs;
    add({
      flow: 'connected-hour',
      label: `one connected hour: 60 connection minutes, ${hourlyHeartbeats} heartbeats and the sweeper's reads`,
      unit: 'connection-hour',
      source: 'composite',
      note: undefined,
      samples,
      usage: combine([
        { usage: connectionHour, weight: 1 },
        { usage: heartbeat, weight: hourlyHeartbeats },
        { usage: sweep, weight: 1 },
      ]),
    });

    const lambdaMeanMs: Record<string, number> = {};
    for (const flow of flows.filter((f) => f.source === 'measured')) {
      for (const [name, count] of Object.entries(flow.usage.lambda)) {
        if (count.invocations > 0) lambdaMeanMs[name] ??= count.billedMs / count.invocations;
      }
    }
    return { flows, lambdaMeanMs, drainCompleted: synced };
  } finally {
    sender.close();
    recipient.close();
  }
}
