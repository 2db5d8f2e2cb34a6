import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { type BuildContext, context, type Message } from 'esbuild';
import { STAGE } from '../contract/routes';
import { indexHtml, webBuildOptions } from '../web/build';
import type { WebConfig } from '../web/config';

export interface WebServer {
  /** For RuntimeOptions.httpFallback: serves the app, or answers false for any other path. */
  httpFallback(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

function contentType(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function describeBuildErrors(errors: readonly Message[]): string {
  return errors
    .map(({ text, location }) =>
      location ? `${location.file}:${location.line}:${location.column}: ${text}` : text,
    )
    .join('\n');
}

/**
 * Serves the web client from memory. The bundle is rebuilt (incrementally, in milliseconds) whenever
 * the page is loaded, so a reload shows edits to web/. `/config.json` points the app at the server
 * the browser reached, whatever port or address that was.
 */
export interface WebServerOptions {
  log?: (line: string) => void;
  /**
   * Origins the page loads media from and uploads them to (the local S3), asked on every page load
   * because the runtime starts after the web server.
   */
  mediaOrigins?: () => readonly string[];
  /** The runtime's VAPID public key, asked on every config.json, since the runtime starts after the web server. */
  vapidPublicKey?: () => string | undefined;
}

export async function createWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const builder: BuildContext = await context({ ...webBuildOptions('/web'), write: false });
  let files = new Map<string, Uint8Array>();
  let failure: string | undefined;

  async function rebuild(): Promise<void> {
    try {
      const result = await builder.rebuild();
      files = new Map((result.outputFiles ?? []).map((file) => [`/${basename(file.path)}`, file.contents]));
      failure = undefined;
    } catch (error) {
      const errors = error instanceof Error && 'errors' in error ? (error.errors as Message[]) : [];
      failure = errors.length > 0 ? describeBuildErrors(errors) : String(error);
      log(`[web] build failed:\n${failure}`);
    }
  }
  await rebuild();

  async function httpFallback(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const host = req.headers.host ?? 'localhost';
    if (url.pathname === '/' || url.pathname === '/index.html') {
      await rebuild();
      if (failure !== undefined) {
        send(req, res, 500, 'text/plain; charset=utf-8', `The web client does not build:\n\n${failure}\n`);
      } else {
        // Locally the app may also be pointed at a deployed stack (wss:, and Cognito over https:).
        const html = indexHtml({ connect: ['ws:', 'wss:', 'https:'], media: options.mediaOrigins?.() ?? [] });
        send(req, res, 200, contentType('.html'), html);
      }
      return true;
    }
    if (url.pathname === '/config.json') {
      const config: WebConfig = {
        mode: 'local',
        wsUrl: `ws://${host}/${STAGE}`,
        tokenUrl: `http://${host}/auth/token`,
        vapidPublicKey: options.vapidPublicKey?.() ?? '',
      };
      send(req, res, 200, contentType('.json'), JSON.stringify(config));
      return true;
    }
    const file = files.get(url.pathname);
    if (!file) return false;
    send(req, res, 200, contentType(url.pathname), file);
    return true;
  }

  return { httpFallback, close: () => builder.dispose() };
}
