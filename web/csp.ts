/** Where the page may connect and load media from, besides itself. Values may be CDK tokens. */
export interface CspSources {
  /** The WebSocket API and the sign-in service. */
  readonly connect: readonly string[];
  /** The media bucket's origin: uploads (connect-src) and downloads (img-src, media-src) go there. */
  readonly media: readonly string[];
}

/**
 * The page's Content-Security-Policy, for the local web server and the deployed stack alike, as a meta
 * element of index.html (see `indexHtml` in web/build.ts): deployed, its media origin is the bucket's
 * name, and a response header naming the bucket would make a cycle (the bucket's CORS rule names the
 * distribution, which would name the header policy). Framing is refused by the X-Frame-Options header
 * instead, as `frame-ancestors` has no effect in a meta element.
 * Nothing runs but the app's own script, no inline style attribute applies (the app styles through the
 * CSSOM), and media come only from the bucket, from `data:` (the inline previews) and from `blob:` (the
 * files the user is about to send or just sent). The service worker (sw.js) comes only from the site:
 * `worker-src` says so outright rather than through the fallback to `default-src`.
 */
export function contentSecurityPolicy({ connect, media }: CspSources): string {
  const list = (sources: readonly string[]) => sources.map((source) => ` ${source}`).join('');
  return [
    "default-src 'self'",
    `connect-src 'self'${list(connect)}${list(media)}`,
    `img-src 'self' data: blob:${list(media)}`,
    `media-src 'self' blob:${list(media)}`,
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}
