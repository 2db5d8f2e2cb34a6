import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body) ?? 'null';
  res.writeHead(statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** AWS JSON errors: the SDK takes the error's name from x-amzn-ErrorType and its message from the body. */
export function sendAwsError(
  res: ServerResponse,
  statusCode: number,
  errorType: string,
  body: Record<string, unknown>,
): void {
  sendJson(res, statusCode, body, { 'x-amzn-ErrorType': errorType });
}

export function sendEmpty(res: ServerResponse, statusCode: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(statusCode, { 'Content-Length': 0, ...headers });
  res.end();
}

export type Body = { tooLarge: false; bytes: Buffer } | { tooLarge: true };

/**
 * Reads a request body, keeping at most limitBytes. An oversized body is still drained so that the
 * client's keep-alive connection stays usable for the error response.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size <= limitBytes) chunks.push(buffer);
  }
  return size > limitBytes ? { tooLarge: true } : { tooLarge: false, bytes: Buffer.concat(chunks) };
}
