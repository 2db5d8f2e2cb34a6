import type { ChatMessage, ServerEvent, Settings } from '../protocol/frames';

/** What the domain core needs from the outside world; lambdas/store and lambdas/aws implement it. */

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
  removeConnection(userId: string, connectionId: string): Promise<void>;
  /** Extends a connection's life; false when the record is gone (expired or removed). */
  refreshConnection(userId: string, connectionId: string, freshUntil: number, now: number): Promise<boolean>;
  /** Profile and the connections still fresh at `now`. */
  getUser(userId: string, now: number): Promise<UserState>;
}

export interface MessageStore {
  /** Highest sequence number stored in the conversation, 0 when empty. Strongly consistent. */
  lastSeq(conversationId: string): Promise<number>;
  findByMessageId(conversationId: string, messageId: string): Promise<ChatMessage | undefined>;
  /** Stores the message unless its sequence number is taken; false when it is. */
  putIfSeqFree(message: ChatMessage): Promise<boolean>;
}

export interface ConversationStore {
  /** Moves the conversation's head (last message, activity) forward; never backwards. */
  recordMessage(message: ChatMessage): Promise<void>;
}

export type PostResult = 'sent' | 'gone';

export interface ConnectionNotifier {
  post(connectionId: string, event: ServerEvent): Promise<PostResult>;
}

export interface Clock {
  now(): number;
}
