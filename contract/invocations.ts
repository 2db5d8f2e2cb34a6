import * as z from 'zod/mini';

/**
 * Payloads of the asynchronous invocations between functions, defined once: the caller builds a value
 * of the inferred type and the invoked function parses it with the same schema.
 */

/** Asks the drain function to sync one device, and first to tell contacts that the user came online. */
export const drainRequest = z.object({
  userId: z.string().check(z.minLength(1)),
  deviceId: z.string().check(z.minLength(1)),
  connectionId: z.string().check(z.minLength(1)),
  /** The `sync` frame's request id, echoed on `synced`. */
  requestId: z.optional(z.string()),
  announceOnline: z.optional(z.boolean()),
  /** The `sync` route claimed this device's sync lease (DeviceStore.claimSync); the drain releases it. */
  releaseSync: z.optional(z.boolean()),
});

export type DrainRequest = z.infer<typeof drainRequest>;

/** Asks the push function to notify these devices of the recipient about one message. */
export const pushRequest = z.object({
  conversationId: z.string().check(z.minLength(1)),
  seq: z.number().check(z.int(), z.positive()),
  /** The recipient. */
  to: z.string().check(z.minLength(1)),
  /** The recipient's devices with a subscription and no live connection when the message was stored. */
  deviceIds: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
});

export type PushRequest = z.infer<typeof pushRequest>;

/** How Lambda retries a function it runs asynchronously, and how long an event may wait. */
export interface AsyncInvocationSettings {
  /** Retries after a failed run: 0, 1 or 2. */
  readonly retryAttempts: 0 | 1 | 2;
  /** Older events are not run but sent to the failure destination (60 s to 6 h). */
  readonly maxEventAgeSeconds: number;
}

/**
 * The functions started asynchronously, and how; the CDK stack configures Lambda with these and the
 * local runtime's Invoke API follows the same numbers. The drain is retried: a failed drain leaves a
 * device without what it missed until its next sync, and running it again is harmless (cursors move
 * only on receipts). The sweeper is not: its next run is a minute away and covers the same connections.
 * A push is retried when the push service is busy or down (429, 5xx, timeout); a retry may reach a
 * device twice, which the notification's tag (one per conversation) shows as one. Past 15 minutes a
 * notification is stale: the message waits in the conversation anyway.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export const ASYNC_INVOCATIONS = {
  drain: { retryAttempts: 2, maxEventAgeSeconds: 30 * 60 },
  sweeper: { retryAttempts: 0, maxEventAgeSeconds: 60 },
  push: { retryAttempts: 2, maxEventAgeSeconds: 15 * 60 },
} as const satisfies Record<string, AsyncInvocationSettings>;

export type AsyncFunctionName = keyof typeof ASYNC_INVOCATIONS;
