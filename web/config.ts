/** What /config.json tells the app: written by local/web-server.ts locally, by lib/web-hosting.ts deployed. */
export type WebConfig =
  | { mode: 'local'; wsUrl: string; tokenUrl: string }
  | { mode: 'cognito'; wsUrl: string; region: string; userPoolClientId: string };

function text(value: object, name: string): string {
  const field: unknown = (value as Record<string, unknown>)[name];
  if (typeof field !== 'string' || field === '') throw new Error(`config.json has no "${name}"`);
  return field;
}

export function parseConfig(value: unknown): WebConfig {
  if (typeof value !== 'object' || value === null) throw new Error('config.json is not an object');
  const mode = text(value, 'mode');
  const wsUrl = text(value, 'wsUrl');
  if (mode === 'local') return { mode, wsUrl, tokenUrl: text(value, 'tokenUrl') };
  if (mode === 'cognito') {
    return { mode, wsUrl, region: text(value, 'region'), userPoolClientId: text(value, 'userPoolClientId') };
  }
  throw new Error(`config.json has an unknown mode "${mode}"`);
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  return parseConfig(await response.json());
}
