import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import * as z from 'zod/mini';

const vapidFile = z.object({ publicKey: z.string(), privateKey: z.string() });
export type LocalVapidKeys = z.infer<typeof vapidFile>;

/** RFC 8292 `sub` of the local push function: a contact no push service will ever write to. */
export const LOCAL_VAPID_SUBJECT = 'mailto:push@chat.localhost';

/**
 * The local deployment's VAPID key pair, made once by web-push (as the deployed stack's custom resource
 * does) and kept in `<dataDir>/vapid.json`, readable by the owner only, so that the browsers'
 * subscriptions survive a restart. Without a data folder, a new pair per run.
 */
export function loadVapidKeys(dataDir: string | undefined): LocalVapidKeys {
  const file = dataDir ? join(dataDir, 'vapid.json') : undefined;
  if (file && existsSync(file)) return vapidFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const keys = webpush.generateVAPIDKeys();
  if (file) writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
