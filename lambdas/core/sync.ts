import { LIMITS } from '../../contract/limits';
import type { ChatMessage, ServerEvent } from '../../contract/protocol/frames';
import { sideOf } from '../../contract/protocol/ids';
import { activityKey } from './activity';
import { takeWithinBytes } from './history';
import { type LinkDeps, linkAll } from './media';
import type {
  Caller,
  Clock,
  ConnectionNotifier,
  ConversationHead,
  ConversationStore,
  DeviceStore,
  MessageStore,
} from './ports';

export interface SyncDeps extends LinkDeps {
  conversations: Pick<ConversationStore, 'listForUser' | 'getMany'>;
  messages: Pick<MessageStore, 'page'>;
  devices: Pick<DeviceStore, 'lastSyncAt' | 'markSynced' | 'cursors'>;
  notifier: ConnectionNotifier;
  clock: Clock;
  /** How long posts answered 410 are retried at the start: the connection may not be open yet. */
  readyTimeoutMs: number;
  sleep(ms: number): Promise<void>;
}

/** The device to sync, and the `sync` frame's request id when a client asked. */
export type SyncTarget = Caller & { requestId?: string };

export type SyncResult = { kind: 'synced'; conversations: number; messages: number } | { kind: 'gone' };

/** Conversations are read a page at a time, and messages too: memory stays bounded for any backlog. */
const CONVERSATION_PAGE = 25;
const MESSAGE_PAGE = 200;
/** Activity is written with each writer's clock; a margin keeps a slightly slow clock from hiding a conversation. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Posts to a connection. At the start of a sync the connection may still be inside $connect, where
 * API Gateway answers 410; later a 410 means the device went away.
 */
class SyncChannel {
  private opened = false;

  constructor(
    private readonly deps: SyncDeps,
    private readonly connectionId: string,
  ) {}

  async post(event: ServerEvent): Promise<boolean> {
    const deadline = this.deps.clock.now() + (this.opened ? 0 : this.deps.readyTimeoutMs);
    for (let delay = 25; ; delay = Math.min(delay * 2, 400)) {
      if ((await this.deps.notifier.post(this.connectionId, event)) === 'sent') {
        this.opened = true;
        return true;
      }
      if (this.deps.clock.now() + delay > deadline) return false;
      await this.deps.sleep(delay);
    }
  }
}

/** Sends one conversation's messages after `from`, oldest first, in batches that fit one frame. */
async function streamConversation(
  deps: SyncDeps,
  channel: SyncChannel,
  conversationId: string,
  from: number,
): Promise<number | 'gone'> {
  let after = from;
  let sent = 0;
  for (;;) {
    const page = await deps.messages.page({ conversationId, after, order: 'asc', limit: MESSAGE_PAGE });
    // URLs are signed a page at a time, just before they are sent, so none is stale on arrival.
    let pending: ChatMessage[] = await linkAll(deps, page.messages);
    while (pending.length > 0) {
      const { taken, rest } = takeWithinBytes(pending, LIMITS.maxReplyBytes);
      if (!(await channel.post({ type: 'sync', conversationId, messages: taken }))) return 'gone';
      sent += taken.length;
      pending = rest;
    }
    const last = page.messages.at(-1);
    if (!page.hasMore || !last) return sent;
    after = last.seq;
  }
}

/**
 * Delivers to one device everything it has not acknowledged, conversation by conversation. A device
 * seen before resumes from its cursors; a new device starts from what no device of the user has
 * received, since history is there to be paged. Cursors move only on the device's receipts, so a
 * connection lost midway loses nothing: the next sync starts again from the cursors.
 */
export async function syncDevice(deps: SyncDeps, target: SyncTarget): Promise<SyncResult> {
  const startedAt = deps.clock.now();
  const channel = new SyncChannel(deps, target.connectionId);
  const lastSyncAt = await deps.devices.lastSyncAt(target.userId, target.deviceId);
  const known = lastSyncAt !== undefined;
  const since = known ? activityKey(lastSyncAt - CLOCK_SKEW_MS, '') : undefined;

  let conversations = 0;
  let messages = 0;
  let before: string | undefined;
  for (;;) {
    const page = await deps.conversations.listForUser(target.userId, CONVERSATION_PAGE, before);
    const recent = page.conversations.filter((head) => since === undefined || head.activity > since);
    const ids = recent.map((head) => head.conversationId);
    // The list comes from indexes, which lag behind writes; the heads are read again, consistently,
    // so that a message stored just before this device registered is not skipped as already had.
    const [heads, cursors] = await Promise.all([
      deps.conversations.getMany(ids),
      deps.devices.cursors(target.userId, target.deviceId, ids),
    ]);
    for (const listed of recent) {
      const head = heads.get(listed.conversationId) ?? listed;
      const from = startingPoint(head, target.userId, known, cursors.get(head.conversationId));
      if (head.lastSeq <= from) continue;
      const sent = await streamConversation(deps, channel, head.conversationId, from);
      if (sent === 'gone') return { kind: 'gone' };
      conversations++;
      messages += sent;
    }
    const last = page.conversations.at(-1);
    if (!page.hasMore || !last || recent.length < page.conversations.length) break;
    before = last.activity;
  }

  const done: ServerEvent = {
    type: 'synced',
    ...(target.requestId === undefined ? {} : { requestId: target.requestId }),
    conversations,
    messages,
  };
  if (!(await channel.post(done))) return { kind: 'gone' };
  await deps.devices.markSynced(target.userId, target.deviceId, startedAt);
  return { kind: 'synced', conversations, messages };
}

function startingPoint(
  head: ConversationHead,
  userId: string,
  knownDevice: boolean,
  cursor: number | undefined,
) {
  const membership = sideOf(head.conversationId, userId);
  if (!membership) return head.lastSeq;
  const mine = head[membership.side];
  return Math.max(mine.cleared, cursor ?? (knownDevice ? 0 : mine.delivered));
}
