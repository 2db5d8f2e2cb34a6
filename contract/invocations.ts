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
