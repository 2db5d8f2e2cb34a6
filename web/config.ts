/** What /config.json tells the app: written by local/web-server.ts locally, by lib/web-hosting.ts deployed. */
/** `vapidPublicKey`: the deployment's VAPID public key (base64url), the `applicationServerKey` to subscribe with. */
export type WebConfig =
  | { mode: 'local'; wsUrl: string; tokenUrl: string; vapidPublicKey: string }
  | { mode: 'cognito'; wsUrl: string; region: string; userPoolClientId: string; vapidPublicKey: string };

function text(value: object, name: string): string {
  const field: unknown = (value as Record<string, unknown>)[name];
  if (typeof field !== 'string' || field === '') throw new Error(`config.json has no "${name}"`);
  return field;
}

export function parseConfig(value: unknown): WebConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json is not an object');
  const mode = text(value, 'mode');
  const wsUrl = text(value, 'wsUrl');
  const vapidPublicKey = text(value, 'vapidPublicKey');
  if (mode === 'local') return { mode, wsUrl, tokenUrl: text(value, 'tokenUrl'), vapidPublicKey };
  if (mode === 'cognito') {
    return {
      mode,
      wsUrl,
      region: text(value, 'region'),
      userPoolClientId: text(value, 'userPoolClientId'),
      vapidPublicKey,
    };
  }
  throw new Error(`config.json has an unknown mode "${mode}"`);
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}
