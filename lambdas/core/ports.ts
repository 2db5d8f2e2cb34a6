import type { MediaContentType, MediaKind } from '../../contract/media';
import type { ChatMessage, MediaAttachment, ServerEvent, Settings } from '../../contract/protocol/frames';
import type { RateClass, RateLimit } from '../../contract/rate-limits';

/** What the domain core needs from the outside world; the adapters in lambdas/adapters implement it. */

/** Who sent a frame: the authorizer's user and device, and the connection it came on. Never from the frame. */
export interface Caller {
  userId: string;
  deviceId: string;
  connectionId: string;
}

/** The token a connection was opened with (its `exp` and `iat`), epoch ms. */
export interface TokenTimes {
  expiresAt: number;
  issuedAt: number;
}

export interface Connection {
  userId: string;
  connectionId: string;
  /** Stable id the client chose for the device, so a device's cursor survives reconnects. */
  deviceId: string;
  connectedAt: number;
  /** Epoch ms until which the connection counts as live; heartbeats push it forward. */
  freshUntil: number;
  /** When the token the connection was opened with expires; freshUntil never passes it. */
  tokenExpiresAt?: number;
}

export interface Profile extends Settings {
  userId: string;
  createdAt: number;
  lastActiveAt: number;
  /** When the user last signed out everywhere (0: never); tokens issued until then open nothing. */
  signedOutAt: number;
  /** Users this user blocked. */
  blocked: readonly string[];
  /** Conversations this user muted: never pushed to their devices. */
  muted: readonly string[];
  /** Devices of this user that have a push subscription (`push#<deviceId>` items). */
  pushDevices: readonly string[];
}

export const DEFAULT_SETTINGS: Settings = {
  readReceipts: true,
  lastSeenVisibility: 'everyone',
  pushPreviews: true,
};

/** A user as one read returns it: the profile (absent for a user who never signed in) and live connections. */
export interface UserState {
  profile: Profile | undefined;
  connections: Connection[];
}

/** How a connection goes: found lapsed by the sweeper, or closed by its client (which is activity). */
export type Removal = { ifLapsedAt: number } | { activeAt: number };

export interface UserStore {
  /** Stores the connection and creates or touches the user's profile. */
  addConnection(connection: Connection): Promise<void>;
  /**
   * Removes a connection and returns it with its last freshness, or undefined when there was none.
   * With `ifLapsedAt` it goes only if it is not fresh at that time, so a heartbeat racing the sweeper
   * wins; with `activeAt`, a connection still fresh then moves the profile's last activity there.
   */
  removeConnection(userId: string, connectionId: string, when?: Removal): Promise<Connection | undefined>;
  /** Extends a connection's life; false when it is gone or already lapsed (then it is stored again). */
  refreshConnection(userId: string, connectionId: string, freshUntil: number, now: number): Promise<boolean>;
  /** Profile and the connections still fresh at `now`. */
  getUser(userId: string, now: number): Promise<UserState>;
  /** getUser for several users in one request; every id asked for has an entry. */
  getUsers(userIds: readonly string[], now: number): Promise<Map<string, UserState>>;
  /** Adds `targetId` to or removes it from the user's blocked list; false when the list is full. */
  setBlocked(userId: string, targetId: string, blocked: boolean): Promise<boolean>;
  /** Records a sign-out everywhere at `at`; nothing for an unknown user. */
  recordSignOut(userId: string, at: number): Promise<void>;
  /** Changes only the settings given and returns all of them, defaults filled in. */
  updateSettings(userId: string, changes: Partial<Settings>): Promise<Settings>;
  /** Subscribes `viewerId` to the presence of each target until `freshUntil`. */
  addWatchers(viewerId: string, targetIds: readonly string[], freshUntil: number): Promise<void>;
  /** Users whose subscription to `userId`'s presence is still fresh at `now`, at most `limit`. */
  watchersOf(userId: string, now: number, limit: number): Promise<string[]>;
  /**
   * Connections stored with a freshUntil before `now`: the ones that may have lapsed, since heartbeats
   * extend a connection without moving what it was stored with. Their freshness is what getUser says.
   * May lag behind writes.
   */
  expiredConnections(now: number): Promise<Connection[]>;
}

/** A media part as stored: the attachment without a download URL, and the key of its object. */
export type StoredMedia = Omit<MediaAttachment, 'url' | 'urlExpiresAt'> & { key: string };

/** A message as stored; it becomes a ChatMessage when its media gets a fresh download URL. */
export type StoredMessage = Omit<ChatMessage, 'media'> & { media?: StoredMedia };

export interface MessageStore {
  /** Highest sequence number stored in the conversation, 0 when empty. Strongly consistent. */
  lastSeq(conversationId: string): Promise<number>;
  findByMessageId(conversationId: string, messageId: string): Promise<StoredMessage | undefined>;
  /** Stores the message unless its sequence number is taken; false when it is. */
  putIfSeqFree(message: StoredMessage): Promise<boolean>;
  /**
   * One page of a conversation's messages strictly between `after` and `before`, newest first when
   * `order` is "desc". Pages are bounded by count; callers bound them by size too.
   */
  page(query: MessagePageQuery): Promise<{ messages: StoredMessage[]; hasMore: boolean }>;
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
  /** This participant wrote in the conversation since either side last hid it. */
  sent: boolean;
}

export interface ConversationHead {
  conversationId: string;
  lastSeq: number;
  lastMessage: StoredMessage | null;
  /** Its place in its participants' lists (see ConversationStore.listForUser). */
  activity: string;
  /**
   * Its index entries: the activity they are keyed by, which trails `activity` by less than
   * ACTIVITY_REKEY_MS, and whether each side has one (a hide takes that side's away).
   */
  indexed?: { activity: string; lo: boolean; hi: boolean };
  lo: SideState;
  hi: SideState;
}

export type ReceiptOutcome =
  | { kind: 'moved'; head: ConversationHead }
  | { kind: 'unchanged'; head: ConversationHead }
  | { kind: 'ahead'; head: ConversationHead }
  | { kind: 'unknown' };

export interface ConversationStore {
  /**
   * Moves the conversation's head (last message, activity) forward, never backwards; the sender has
   * seen it all. Resolves with the sender's seen watermark before the write (0 when not known).
   */
  recordMessage(message: StoredMessage, options?: { rekey: boolean }): Promise<number>;
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
  /** Takes the conversation off one side's list and clears that side's history up to now (the peer sees no change); false if it does not exist. */
  hide(conversationId: string, side: Side): Promise<boolean>;
  /**
   * One side's conversations, newest activity first, strictly older than `beforeActivity`. A head's
   * `activity` here is its list position: the later of the stored key and its last message's time.
   */
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
  /** Marks a sync of the device running or queued until `until`; false when one already is. */
  claimSync(userId: string, deviceId: string, until: number, now: number): Promise<boolean>;
  releaseSync(userId: string, deviceId: string): Promise<void>;
}

export type RateVerdict = { admitted: true } | { admitted: false; retryAfterMs: number };

/** Counts units of one class against a user and one of their connections, across every instance. */
export interface RateCounter {
  take(
    caller: Pick<Caller, 'userId' | 'connectionId'>,
    rateClass: RateClass,
    units: number,
    limit: RateLimit,
    now: number,
  ): Promise<RateVerdict>;
}

/** The identity provider's side of signing a user out (Cognito: every refresh token revoked). */
export interface IdentityProvider {
  signOutEverywhere(userId: string): Promise<void>;
}

/** Starts another function without waiting for it (Lambda's asynchronous invocation). */
export interface Invoker<Payload> {
  invokeAsync(payload: Payload): Promise<void>;
}

/** A device's Web Push subscription, as stored (`push#<deviceId>` in the user's partition). */
export interface StoredPushSubscription {
  userId: string;
  deviceId: string;
  endpoint: string;
  /** The browser's P-256 public key and auth secret, base64url, as PushSubscription.toJSON() gives them. */
  p256dh: string;
  auth: string;
  createdAt: number;
  /** The VAPID public key the browser subscribed with: a push signed with another key is refused. */
  vapidPublicKey: string;
}

export interface PushStore {
  /** Stores the device's subscription, replacing its earlier one, and lists the device on the profile. */
  put(subscription: StoredPushSubscription): Promise<void>;
  /** Removes the devices' subscriptions and their profile entries; a device without one is no error. */
  remove(userId: string, deviceIds: readonly string[]): Promise<void>;
  /** The subscriptions these devices have. */
  get(userId: string, deviceIds: readonly string[]): Promise<StoredPushSubscription[]>;
  /** Adds a conversation to or removes it from the user's muted list; false when the list is full. */
  setMuted(userId: string, conversationId: string, muted: boolean): Promise<boolean>;
}

/**
 * 'gone': the push service no longer knows the subscription (404, 410). 'rejected': it refused this
 * request for good (another 4xx). 'failed': it may take it later (429, 5xx, no answer in time).
 */
export type PushOutcome = 'sent' | 'gone' | 'rejected' | 'failed';

export interface PushDelivery {
  /** RFC 8030 §5.4: a pending push with the same topic is replaced. */
  topic: string;
  ttlSeconds: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
}

/** Sends one encrypted, VAPID-signed Web Push request. */
export interface PushSender {
  send(subscription: StoredPushSubscription, payload: string, delivery: PushDelivery): Promise<PushOutcome>;
}

/** 'stalled': the post did not finish within its timeout (the reader is not reading). */
export type PostResult = 'sent' | 'gone' | 'stalled';

export interface ConnectionNotifier {
  /** Without `timeoutMs` the post waits as long as the @connections API does. */
  post(connectionId: string, event: ServerEvent, timeoutMs?: number): Promise<PostResult>;
  /** Closes a connection from the server side (its $disconnect follows); a gone one is no error. */
  disconnect(connectionId: string): Promise<void>;
}

/** An upload slot: what its owner declared and may upload, and which message (if any) it backs. */
export interface UploadSlot {
  uploadId: string;
  userId: string;
  kind: MediaKind;
  contentType: MediaContentType;
  /** The declared size: the upload may not be larger. */
  maxBytes: number;
  fileName?: string;
  /** Where the presigned POST puts the object; a lifecycle rule removes what is never sent. */
  stagingKey: string;
  /** Where a sent message's object is kept for life; it says nothing of the owner or the conversation. */
  mediaKey: string;
  createdAt: number;
  /** The presigned POST's expiry. */
  expiresAt: number;
  /** A message can name the slot until then. */
  claimableUntil: number;
  /** `<conversationId>/<messageId>` of the message the slot backs. */
  claimedBy?: string;
  /** The verified size of the object, set with claimedBy. */
  size?: number;
}

export interface UploadSlotStore {
  create(slot: UploadSlot): Promise<void>;
  /** One of the user's slots, read strongly consistently; another user's slot is never found. */
  get(userId: string, uploadId: string): Promise<UploadSlot | undefined>;
  /**
   * Binds the slot to a message in one conditional write: true when it was free or already bound to
   * this same claimant (a retry), false when another message holds it.
   */
  claim(userId: string, uploadId: string, claimant: string, size: number): Promise<boolean>;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

export interface UploadPresigner {
  /** A POST that can store exactly this key, with this content type, 1..maxBytes long, for a while. */
  presignPost(upload: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedPost>;
}

/** The uploaded objects, as the server sees them. */
export interface MediaObjects {
  /** The object's size, or undefined when there is no such object. */
  size(key: string): Promise<number | undefined>;
  /** Up to `length` bytes from the start of the object. */
  firstBytes(key: string, length: number): Promise<Uint8Array>;
  /** Copies an object; false when the source does not exist. */
  copy(from: string, to: string, contentType: string): Promise<boolean>;
}

/** Media types sniffed from a file's first bytes ("image/png", "video/webm", …), or undefined. */
export type TypeSniffer = (bytes: Uint8Array) => Promise<string | undefined>;

export interface MediaLinks {
  /** A GET of the object, valid for this long from now, that serves it with its verified type. */
  downloadUrl(media: StoredMedia, expiresInSeconds: number): Promise<string>;
}

export interface Clock {
  now(): number;
}
