/**
 * The DynamoDB tables, defined once. The CDK stack builds them from these definitions and the local
 * runtime creates them from the same definitions, so cloud and local cannot drift apart.
 * Access patterns and the key or index that serves each are listed in docs/data-model.md.
 */
export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface GlobalIndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /**
   * ALL: every attribute, so a Query answers on its own. KEYS_ONLY: the table's and the index's keys,
   * so a write that changes neither costs the index nothing (the reader fetches the items it needs).
   */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface LocalIndexDefinition {
  readonly indexName: string;
  readonly sortKey: KeyAttribute;
}

export type TableName = 'users' | 'messages' | 'conversations';

export interface TableDefinition {
  readonly name: TableName;
  /** Environment variable that carries the table's physical name to the handlers. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes: readonly GlobalIndexDefinition[];
  readonly localIndexes: readonly LocalIndexDefinition[];
  /** Epoch-seconds attribute that DynamoDB's TTL collects; reads must still filter on it. */
  readonly timeToLiveAttribute?: string;
}

/**
 * users: one partition per user. `sk = "#profile"` holds settings and last activity;
 * `sk = "#conn#<connectionId>"` is one live connection, as stored at connect (heartbeats move only the
 * profile's copy of it, so the connection's index entry never moves);
 * `sk = "device#<deviceId>"` holds a device's delivery cursor; `sk = "watch#<viewerId>"` subscribes
 * another user to this one's presence for a while.
 * One Query of the partition answers "does this user exist, and where is it connected".
 * Connection items alone carry `expiryShard` (one of a few values, spread by connection id), so the
 * sparse index byExpiry finds the connections that may have lapsed without a Scan and without one hot
 * partition.
 */
export const USERS_TABLE: TableDefinition = {
  name: 'users',
  envVar: 'CHAT_USERS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [
    {
      indexName: 'byExpiry',
      partitionKey: { name: 'expiryShard', type: 'S' },
      sortKey: { name: 'freshUntil', type: 'N' },
      projection: 'ALL',
    },
  ],
  localIndexes: [],
  timeToLiveAttribute: 'expiresAt',
};

/**
 * messages: one partition per conversation, one item per message keyed by its gap-free sequence
 * number. The local index finds a message by the id its sender chose, which makes sends idempotent.
 */
export const MESSAGES_TABLE: TableDefinition = {
  name: 'messages',
  envVar: 'CHAT_MESSAGES_TABLE',
  partitionKey: { name: 'conversationId', type: 'S' },
  sortKey: { name: 'seq', type: 'N' },
  globalIndexes: [],
  localIndexes: [{ indexName: 'byMessageId', sortKey: { name: 'messageId', type: 'S' } }],
};

/**
 * conversations: one item per conversation with its last message and both participants' receipt
 * watermarks. A 1:1 conversation has a lower and a higher participant (by user id); each has a sparse
 * index ordered by activity, so a user's conversation list is two Queries merged, then one BatchGet of
 * the heads. The indexes hold keys only: receipts, which change watermarks and not the activity, do not
 * write them at all.
 */
export const CONVERSATIONS_TABLE: TableDefinition = {
  name: 'conversations',
  envVar: 'CHAT_CONVERSATIONS_TABLE',
  partitionKey: { name: 'conversationId', type: 'S' },
  globalIndexes: [
    {
      indexName: 'byUserLo',
      partitionKey: { name: 'userLo', type: 'S' },
      sortKey: { name: 'activity', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      indexName: 'byUserHi',
      partitionKey: { name: 'userHi', type: 'S' },
      sortKey: { name: 'activity', type: 'S' },
      projection: 'KEYS_ONLY',
    },
  ],
  localIndexes: [],
};

export const TABLES: readonly TableDefinition[] = [USERS_TABLE, MESSAGES_TABLE, CONVERSATIONS_TABLE];
