import type { ChatMessage, ServerEvent, Settings } from '../../contract/protocol/frames';

/** What the domain core needs from the outside world; the adapters in lambdas/adapters implement it. */

/** Who sent a frame: the authorizer's user and device, and the connection it came on. Never from the frame. */
export interface Caller {
  userId: string;
  deviceId: string;
  connectionId: string;
}

export interface Connection {
  userId: string;
  connectionId: string;
  /** Stable id the client chose for the device, so a device's cursor survives reconnects. */
  deviceId: string;
  connectedAt: number;
  /** Epoch ms until which the connection counts as live; heartbeats push it forward. */
  freshUntil: number;
}

export interface Profile extends Settings {
  userId: string;
  createdAt: number;
  lastActiveAt: number;
}

export const DEFAULT_SETTINGS: Settings = { readReceipts: true, lastSeenVisibility: 'everyone' };

/** A user as one read returns it: the profile (absent for a user who never signed in) and live connections. */
export interface UserState {
  profile: Profile | undefined;
  connections: Connection[];
}

export interface UserStore {
  /** Stores the connection and creates or touches the user's profile. */
  addConnection(connection: Connection): Promise<void>;
  /**
   * Removes a connection record and returns it, or undefined when there was none. With `ifFreshUntil`
   * the record goes only if no heartbeat has moved its freshUntil since it was read.
   */
  removeConnection(
    userId: string,
    connectionId: string,
    ifFreshUntil?: number,
  ): Promise<Connection | undefined>;
  /** Extends a connection's life; false when the record is gone (expired or removed). */
  refreshConnection(userId: string, connectionId: string, freshUntil: number, now: number): Promise<boolean>;
  /** Profile and the connections still fresh at `now`. */
  getUser(userId: string, now: number): Promise<UserState>;
  /** getUser for several users in one request; every id asked for has an entry. */
  getUsers(userIds: readonly string[], now: number): Promise<Map<string, UserState>>;
  /** Moves the profile's last activity to `at` (a clean disconnect); nothing for an unknown user. */
  recordActivity(userId: string, at: number): Promise<void>;
  /** Changes only the settings given and returns all of them, defaults filled in. */
  updateSettings(userId: string, changes: Partial<Settings>): Promise<Settings>;
  /** Subscribes `viewerId` to the presence of each target until `freshUntil`. */
  addWatchers(viewerId: string, targetIds: readonly string[], freshUntil: number): Promise<void>;
  /** Users whose subscription to `userId`'s presence is still fresh at `now`, at most `limit`. */
  watchersOf(userId: string, now: number, limit: number): Promise<string[]>;
  /** Connection records whose freshUntil is before `now`, at most about `limit`; may lag behind writes. */
  expiredConnections(now: number, limit: number): Promise<Connection[]>;
}

export interface MessageStore {
  /** Highest sequence number stored in the conversation, 0 when empty. Strongly consistent. */
  lastSeq(conversationId: string): Promise<number>;
  findByMessageId(conversationId: string, messageId: string): Promise<ChatMessage | undefined>;
  /** Stores the message unless its sequence number is taken; false when it is. */
  putIfSeqFree(message: ChatMessage): Promise<boolean>;
  /**
   * One page of a conversation's messages strictly between `after` and `before`, newest first when
   * `order` is "desc". Pages are bounded by count; callers bound them by size too.
   */
  page(query: MessagePageQuery): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
}

export interface MessagePageQuery {
  conversationId: string;
  after: number;
  before?: number;
  order: 'asc' | 'desc';
  limit: number;
}

export type Side = 'lo' | 'hi';

/** One participant's view of a conversation, kept on the conversation's head item. */
export interface SideState {
  userId: string;
  delivered: number;
  seen: number;
  /** Messages up to this one are cleared from this participant's history (hideConversation). */
  cleared: number;
}

export interface ConversationHead {
  conversationId: string;
  lastSeq: number;
  lastMessage: ChatMessage | null;
  activity: string;
  lo: SideState;
  hi: SideState;
}

export type ReceiptOutcome =
  | { kind: 'moved'; head: ConversationHead }
  | { kind: 'unchanged'; head: ConversationHead }
  | { kind: 'ahead'; head: ConversationHead }
  | { kind: 'unknown' };

export interface ConversationStore {
  /** Moves the conversation's head (last message, activity) forward, never backwards; the sender has seen it all. */
  recordMessage(message: ChatMessage): Promise<void>;
  get(conversationId: string): Promise<ConversationHead | undefined>;
  /** Several heads by id, read strongly consistently (unlike the list's indexes). */
  getMany(conversationIds: readonly string[]): Promise<Map<string, ConversationHead>>;
  /** Moves one side's watermark up to `upTo` (seen moves delivered too); never backwards or past the last message. */
  applyReceipt(
    conversationId: string,
    side: Side,
    status: 'delivered' | 'seen',
    upTo: number,
  ): Promise<ReceiptOutcome>;
  /** Takes the conversation off one side's list and clears that side's history up to now; false if it does not exist. */
  hide(conversationId: string, side: Side): Promise<boolean>;
  /** One side's conversations, newest activity first, strictly older than `beforeActivity`. */
  listForUser(
    userId: string,
    limit: number,
    beforeActivity?: string,
  ): Promise<{ conversations: ConversationHead[]; hasMore: boolean }>;
}

/** Per-device delivery state: which messages each device of a user acknowledged. */
export interface DeviceStore {
  /** When the device last completed a sync; undefined for a device never seen. */
  lastSyncAt(userId: string, deviceId: string): Promise<number | undefined>;
  markSynced(userId: string, deviceId: string, at: number): Promise<void>;
  cursors(userId: string, deviceId: string, conversationIds: readonly string[]): Promise<Map<string, number>>;
  /** Moves the device's cursor forward; never backwards. */
  advanceCursor(userId: string, deviceId: string, conversationId: string, upTo: number): Promise<void>;
}

/** Starts another function without waiting for it (Lambda's asynchronous invocation). */
export interface Invoker<Payload> {
  invokeAsync(payload: Payload): Promise<void>;
}

export type PostResult = 'sent' | 'gone';

export interface ConnectionNotifier {
  post(connectionId: string, event: ServerEvent): Promise<PostResult>;
}

export interface Clock {
  now(): number;
}
