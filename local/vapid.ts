import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';

const vapidFile = z.object({ publicKey: z.string(), privateKey: z.string() });
export type LocalVapidKeys = z.infer<typeof vapidFile>;

/** RFC 8292 `sub` of the local push function: a contact no push service will ever write to. */
export const LOCAL_VAPID_SUBJECT = 'mailto:push@chat.localhost';

/**
 * The local deployment's VAPID key pair, made once as the deployed stack's custom resource makes it
 * (lib/vapid-keys.ts) and kept in `<dataDir>/vapid.json`, readable by the owner only, so that the browsers'
 * subscriptions survive a restart. Without a data folder, a new pair per run.
 */
export function loadVapidKeys(dataDir: string | undefined): LocalVapidKeys {
  const file = dataDir ? join(dataDir, 'vapid.json') : undefined;
  if (file && existsSync(file)) return vapidFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const keys = generateVapidKeys();
  if (file) writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** A P-256 pair as Web Push wants it: the uncompressed public point and the private scalar, base64url. */
export function generateVapidKeys(): LocalVapidKeys {
  const { x, y, d } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  if (!x || !y || !d) throw new Error('node:crypto exported an EC key without x, y and d');
  const point = Buffer.concat([Buffer.of(0x04), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
  return { publicKey: point.toString('base64url'), privateKey: d };
}
